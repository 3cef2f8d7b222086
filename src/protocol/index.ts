/**
 * The unary fast path in front of stock connect-node. Unary calls are most
 * of the traffic, and stock connect-node spends most of its time per call on
 * building a universal request (URL, web Headers, AbortController, async
 * iterables). This path recognises the plain shapes of a unary call on all
 * three protocols and serves them directly; everything else (streams,
 * compression, GET, JSON over gRPC, gRPC-Web text, unknown paths) goes to the
 * stock handler unchanged, so protocol behaviour stays Connect's.
 *
 * Both paths run the same invoker per method (request checks, the
 * intercepted core, the error table), so they agree on every answer the core
 * gives. They differ only where connect-node itself differs: it reports an
 * undecodable compressed body as `internal` (we say `invalid_argument`), and
 * it waits for the core at a deadline where the fast path answers at once.
 */
import type { DualHandler } from "../http/http2-express.js";
import type { UnaryRoute } from "../services/routes.js";
import { acceptsConnectUnary, connectBodyFormat, serveConnectUnary } from "./connect-unary.js";
import { acceptsGrpcUnary, grpcFlavour, serveGrpcUnary } from "./grpc-unary.js";

/** Options for {@link createUnaryFastPath}. */
export interface UnaryFastPathOptions {
  /** Unary methods by request path (`/runtime.v1.RuntimeService/Version`). */
  unary: ReadonlyMap<string, UnaryRoute>;
  /** Where every other request goes: the stock connect-node adapter. */
  fallback: DualHandler;
  /** Largest request message accepted, in bytes. */
  readMaxBytes: number;
  /** Largest reply message written, in bytes. */
  writeMaxBytes: number;
}

/** Wrap `fallback` with the unary fast path. */
export function createUnaryFastPath({ unary, fallback, readMaxBytes, writeMaxBytes }: UnaryFastPathOptions): DualHandler {
  return function unaryFastPath(req, res) {
    if (req.method === "POST") {
      const route = unary.get(req.url ?? "");
      if (route !== undefined) {
        const contentType = req.headers["content-type"];
        const format = connectBodyFormat(contentType);
        if (format !== undefined) {
          if (acceptsConnectUnary(req)) return serveConnectUnary(route, format, req, res, readMaxBytes, writeMaxBytes);
        } else {
          const flavour = grpcFlavour(contentType);
          if (flavour !== undefined && acceptsGrpcUnary(req, flavour)) {
            return serveGrpcUnary(route, flavour, req, res, readMaxBytes, writeMaxBytes);
          }
        }
      }
    }
    fallback(req, res);
  };
}
