/**
 * Whether one upstream endpoint is reachable, and the background redial that
 * brings it back. Calls made while the endpoint is down fail at once with
 * `unavailable` instead of each paying a connect attempt.
 *
 *   up ──(dialing fails: refused, ENOENT, connect timeout)──> down
 *   up ──(a connection breaks: reset, GOAWAY, cut off)──> probe now ──fails──> down
 *   down ──(probe after 100 ms, 160 ms, ... ≤ 1 s, jittered)──succeeds──> up
 *
 * Nothing runs before the first failure and no timer runs while the
 * endpoint is up; the redial timer is unref'd and stopped by close().
 */
import { CoreError } from "../../core/core-error.js";
import type { CoreHealth } from "../../core/runtime-core.js";
import { type Logger, log } from "../../observability/logger.js";
import { createBackoff } from "./backoff.js";
import { type ConnectionLoss, connectionLossOf, fromUpstreamFailure } from "./transport-error.js";

/** Options of {@link createConnectionState}. */
export interface ConnectionStateOptions {
  /** The endpoint as configured (`unix:///x.sock`), used in messages and logs. */
  readonly endpoint: string;
  /**
   * Try to reach the endpoint once (a plain connect is enough); reject with
   * the socket error. Must give up when `signal` aborts.
   */
  readonly probe: (signal: AbortSignal) => Promise<void>;
  /** First redial delay (default 100 ms). */
  readonly initialMs?: number;
  /** Longest redial delay (default 1 s). */
  readonly maxMs?: number;
  /** Jitter source, for deterministic tests (default Math.random). */
  readonly random?: () => number;
  /** Where transitions are logged (default: the process logger). */
  readonly logger?: Pick<Logger, "info" | "warn">;
}

/** The reachability of one endpoint; see {@link createConnectionState}. */
export interface ConnectionState {
  /**
   * Throw CoreError("unavailable") when the endpoint is down, e.g.
   * `runtime endpoint unix:///x.sock is unavailable: connect ECONNREFUSED (reconnecting, next attempt in 160 ms)`.
   * Call before every upstream call.
   */
  requireUp(): void;
  /**
   * Record a failed upstream call and return what to throw (see
   * fromUpstreamFailure). A failed dial puts the endpoint down; a broken
   * connection starts a probe at once. Upstream answers change nothing.
   */
  failed(err: unknown, clientCanceled: boolean): unknown;
  /** Not ready (without waiting) while down, e.g. `runtime endpoint unix:///x.sock is not ready: ECONNREFUSED`; undefined otherwise. */
  health(): CoreHealth | undefined;
  /** Stop redialing. Idempotent. */
  close(): void;
}

/** Track one endpoint; see the module comment for the states. */
export function createConnectionState({
  endpoint,
  probe,
  initialMs,
  maxMs,
  random,
  logger = log,
}: ConnectionStateOptions): ConnectionState {
  const backoff = createBackoff({ initialMs, maxMs, random });
  /** Why the endpoint is down; undefined while up. */
  let down: ConnectionLoss | undefined;
  let timer: NodeJS.Timeout | undefined;
  let nextAt = 0;
  let probing: AbortController | undefined;
  let attempts = 0;
  let closed = false;

  const schedule = () => {
    const ms = backoff.next();
    nextAt = Date.now() + ms;
    timer = setTimeout(attempt, ms);
    timer.unref();
  };

  const goDown = (loss: ConnectionLoss) => {
    if (closed) return;
    if (down !== undefined) {
      down = loss;
      return;
    }
    down = loss;
    attempts = 0;
    backoff.reset();
    logger.warn("runtime endpoint is down; reconnecting in the background", { endpoint, code: loss.code });
    if (probing === undefined) schedule();
  };

  /** One probe; `whileUp` for the check after a broken connection. */
  const runProbe = (whileUp: boolean) => {
    const abort = new AbortController();
    probing = abort;
    probe(abort.signal).then(
      () => {
        probing = undefined;
        if (closed || down === undefined) return;
        logger.info("runtime endpoint is reachable again", { endpoint, attempts });
        down = undefined;
        backoff.reset();
      },
      (err: unknown) => {
        probing = undefined;
        if (closed) return;
        const loss = connectionLossOf(err) ?? { what: "connect failed", code: "error", dialing: true };
        if (whileUp && down === undefined) goDown(loss);
        else if (down !== undefined) {
          down = loss;
          if (timer === undefined) schedule();
        }
      },
    );
  };

  function attempt() {
    timer = undefined;
    if (closed || down === undefined) return;
    attempts++;
    runProbe(false);
  }

  return {
    requireUp() {
      if (down === undefined) return;
      const when = probing !== undefined ? "attempt in progress" : `next attempt in ${Math.max(0, nextAt - Date.now())} ms`;
      throw new CoreError("unavailable", `runtime endpoint ${endpoint} is unavailable: ${down.what} (reconnecting, ${when})`);
    },
    failed(err, clientCanceled) {
      const loss = connectionLossOf(err, clientCanceled);
      if (loss !== undefined && !closed) {
        if (loss.dialing) goDown(loss);
        else if (down === undefined && probing === undefined) runProbe(true);
      }
      return fromUpstreamFailure(err, endpoint, clientCanceled);
    },
    health() {
      return down === undefined ? undefined : { ready: false, message: `runtime endpoint ${endpoint} is not ready: ${down.code}` };
    },
    close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      probing?.abort();
    },
  };
}
