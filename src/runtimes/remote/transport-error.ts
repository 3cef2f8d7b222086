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

/** How a failed call shows that the connection to the upstream is lost; see {@link connectionLossOf}. */
export interface ConnectionLoss {
  /** For messages: `connect ECONNREFUSED`, `connect timed out`, `the call was cut off (...)`. */
  readonly what: string;
  /** For readiness: an errno-like code (`ECONNREFUSED`, `ETIMEDOUT`, `ECONNRESET`, ...). */
  readonly code: string;
  /**
   * True when establishing a connection failed: the endpoint is down. False
   * when an established connection broke (reset, GOAWAY, a stream cut off):
   * the endpoint may be gone or may answer the next dial.
   */
  readonly dialing: boolean;
}

/** Errno codes that only dialing produces: nothing listens, or nothing can be reached. */
const dialCodes = new Set(["ECONNREFUSED", "ENOENT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EACCES", "ENOTSOCK"]);

/**
 * Classify `err` from an upstream call: undefined for an answer of the
 * upstream (or a cancel the client asked for, `clientCanceled`), otherwise
 * what was lost. Only the errno code and syscall are kept, never upstream
 * wording or paths.
 */
export function connectionLossOf(err: unknown, clientCanceled = false): ConnectionLoss | undefined {
  if (err instanceof ConnectError && err.code === Code.Canceled && !clientCanceled) {
    return { what: `the call was cut off (${err.rawMessage})`, code: "ECONNRESET", dialing: false };
  }
  const node = nodeErrorOf(err);
  if (node !== undefined) {
    const what = node.syscall === undefined ? node.code : `${node.syscall} ${node.code}`;
    return { what, code: node.code, dialing: node.syscall === "connect" || dialCodes.has(node.code) };
  }
  if (err instanceof ConnectError && err.code === Code.Unavailable && /connection establishment timed out/.test(err.rawMessage)) {
    return { what: "connect timed out", code: "ETIMEDOUT", dialing: true };
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
  const loss = connectionLossOf(err, clientCanceled);
  if (loss === undefined) return err;
  return new CoreError("unavailable", `runtime endpoint ${endpoint} is unavailable: ${loss.what}`, { cause: err });
}
