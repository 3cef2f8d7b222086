/**
 * Tells a failure to reach the upstream apart from an answer the upstream
 * gave. Upstream answers (a ConnectError carrying the runtime's own status)
 * pass through unchanged; failures of the connection itself become
 * CoreError("unavailable") naming the endpoint, with the errno only.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { CoreError } from "../../core/core-error.js";

/**
 * The Node error code (`ECONNREFUSED`, `ENOENT`, `ERR_HTTP2_GOAWAY_SESSION`,
 * ...) and syscall behind `err`, walking its `cause` chain, or undefined when
 * no socket-level error is involved.
 */
export function nodeErrorOf(err: unknown): { code: string; syscall?: string } | undefined {
  const seen = new Set<unknown>();
  for (let at: unknown = err; at instanceof Error && !seen.has(at); at = at.cause) {
    seen.add(at);
    const { code, syscall } = at as { code?: unknown; syscall?: unknown };
    if (!(at instanceof ConnectError) && typeof code === "string") {
      return { code, syscall: typeof syscall === "string" ? syscall : undefined };
    }
  }
  return undefined;
}

/**
 * Map a failed upstream call: a transport failure becomes
 * `runtime endpoint unix:///x.sock is unavailable: connect ECONNREFUSED`;
 * everything else is returned as it is. A `canceled` the client did not ask
 * for (`clientCanceled` false) means the runtime reset the stream or went
 * away mid-call — also `unavailable`, so clients retry instead of giving up.
 */
export function fromUpstreamFailure(err: unknown, endpoint: string, clientCanceled = false): unknown {
  if (err instanceof ConnectError && err.code === Code.Canceled && !clientCanceled) {
    return new CoreError("unavailable", `runtime endpoint ${endpoint} is unavailable: the call was cut off (${err.rawMessage})`, {
      cause: err,
    });
  }
  const node = nodeErrorOf(err);
  if (node !== undefined) {
    const what = node.syscall === undefined ? node.code : `${node.syscall} ${node.code}`;
    return new CoreError("unavailable", `runtime endpoint ${endpoint} is unavailable: ${what}`, { cause: err });
  }
  if (err instanceof ConnectError && err.code === Code.Unavailable && /connection establishment timed out/.test(err.rawMessage)) {
    return new CoreError("unavailable", `runtime endpoint ${endpoint} is unavailable: connect timed out`, { cause: err });
  }
  return err;
}
