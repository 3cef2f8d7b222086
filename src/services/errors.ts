/**
 * The one place where runtime-core failures become Connect/gRPC codes. Every
 * protocol (gRPC, gRPC-Web, Connect) and the REST routes go through
 * {@link toConnectError}, so a given failure has the same code everywhere.
 *
 * | CoreError kind      | Connect code        | HTTP (Connect) |
 * |---------------------|---------------------|----------------|
 * | invalid_argument    | invalid_argument    | 400 |
 * | not_found           | not_found           | 404 |
 * | already_exists      | already_exists      | 409 |
 * | failed_precondition | failed_precondition | 400 |
 * | deadline_exceeded   | deadline_exceeded   | 504 |
 * | unavailable         | unavailable         | 503 |
 * | unimplemented       | unimplemented       | 501 |
 * | resource_exhausted  | resource_exhausted  | 429 |
 * | internal            | internal            | 500 |
 * | ConnectError        | unchanged (e.g. from an upstream runtime) |
 * | anything else       | internal, generic message; the cause is logged |
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { type CoreErrorKind, CoreError } from "../core/core-error.js";
import { log } from "../observability/logger.js";

const codeOfKind: Record<CoreErrorKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  deadline_exceeded: Code.DeadlineExceeded,
  unavailable: Code.Unavailable,
  unimplemented: Code.Unimplemented,
  resource_exhausted: Code.ResourceExhausted,
  internal: Code.Internal,
};

/**
 * Convert anything a core threw into a ConnectError. `where` names the RPC
 * for the log line written when the error is a bug (not a CoreError).
 */
export function toConnectError(err: unknown, where: string): ConnectError {
  if (err instanceof ConnectError) {
    return err;
  }
  if (err instanceof CoreError) {
    // rawMessage keeps the core's wording; Connect adds the code prefix itself.
    return new ConnectError(err.message, codeOfKind[err.kind], undefined, undefined, err);
  }
  if (err instanceof Error && err.name === "AbortError") {
    // An abortable wait (timers/promises, fetch) throws AbortError with the
    // signal's reason as its cause: deadline_exceeded when the deadline
    // passed, canceled when the client went away.
    if (err.cause instanceof ConnectError) return err.cause;
    return new ConnectError("call was canceled", Code.Canceled, undefined, undefined, err);
  }
  // NOTE: never echo an unexpected error to the client: it may carry paths or
  // internals. The cause goes to the log instead.
  log.error("internal error", { rpc: where, error: describe(err) });
  return new ConnectError("internal error", Code.Internal, undefined, undefined, err);
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}
