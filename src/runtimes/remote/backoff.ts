/**
 * The redial schedule for an upstream that went away: exponential backoff
 * with jitter, in the spirit of gRPC's connection-backoff.md
 * (https://github.com/grpc/grpc/blob/master/doc/connection-backoff.md).
 */

/** First redial delay (setting `reconnect-initial-ms`). */
export const defaultReconnectInitialMs = 100;
/** Longest redial delay (setting `reconnect-max-ms`). */
export const defaultReconnectMaxMs = 1000;
/** Each delay is the previous one times this. */
export const backoffMultiplier = 1.6;
/** Each delay is moved by up to this fraction either way, so many gateways do not redial in step. */
export const backoffJitter = 0.2;

/** Options of {@link createBackoff}. */
export interface BackoffOptions {
  /** First delay, before jitter (default 100 ms). */
  readonly initialMs?: number;
  /** No delay is longer than this, jitter included (default 1 s). */
  readonly maxMs?: number;
  /** Random number in [0, 1); inject a fixed one to make tests deterministic. */
  readonly random?: () => number;
}

/** A backoff schedule; see {@link createBackoff}. */
export interface Backoff {
  /** The delay before the next attempt, in whole ms (at least 1); advances the schedule. */
  next(): number;
  /** Start over from the initial delay (after a success). */
  reset(): void;
}

/**
 * Delay n (from 0) is `min(maxMs, initialMs × 1.6ⁿ)`, moved by a random
 * ±20%, and never above `maxMs`: with the defaults about 100, 160, 256, 410,
 * 655, then 1000 ms (800–1000 ms once capped).
 *
 * @example
 * const backoff = createBackoff({ initialMs: 100, maxMs: 1000 });
 * setTimeout(redial, backoff.next()); // ~100 ms, then ~160 ms, ...
 */
export function createBackoff({
  initialMs = defaultReconnectInitialMs,
  maxMs = defaultReconnectMaxMs,
  random = Math.random,
}: BackoffOptions = {}): Backoff {
  let base = Math.min(initialMs, maxMs);
  return {
    next() {
      const jittered = base * (1 + backoffJitter * (2 * random() - 1));
      base = Math.min(base * backoffMultiplier, maxMs);
      return Math.max(1, Math.min(maxMs, Math.round(jittered)));
    },
    reset() {
      base = Math.min(initialMs, maxMs);
    },
  };
}
