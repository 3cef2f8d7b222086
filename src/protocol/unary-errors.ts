/**
 * Errors the unary fast paths raise themselves, worded like connect-node's
 * so a client sees the same message whichever path served it.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { UnaryRoute } from "../services/routes.js";

/** A request larger than the configured limit. */
export function tooLarge(size: number, max: number): ConnectError {
  return new ConnectError(`message size ${size} is larger than configured readMaxBytes ${max}`, Code.ResourceExhausted);
}

/** A reply larger than the configured limit. */
export function tooLargeReply(size: number, max: number): ConnectError {
  return new ConnectError(`message size ${size} is larger than configured writeMaxBytes ${max}`, Code.ResourceExhausted);
}

/**
 * A request body that does not decode. This is the client's fault, so it is
 * invalid_argument on every protocol (stock connect-node says internal for
 * binary bodies over gRPC and gRPC-Web).
 */
export function decodeError(route: UnaryRoute, binary: boolean, err: unknown): ConnectError {
  const detail = err instanceof Error ? err.message : String(err);
  // protobuf-es's JSON errors already say what failed; binary ones do not.
  const message = detail.startsWith("cannot decode")
    ? detail
    : `cannot decode message ${route.method.input.typeName} from ${binary ? "binary" : "JSON"}: ${detail}`;
  return new ConnectError(message, Code.InvalidArgument);
}
