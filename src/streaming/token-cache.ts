/**
 * A cache of pending single-use streaming sessions keyed by random tokens,
 * like the kubelet streaming server's request cache: a token is taken at
 * most once and only before it expires.
 */
import { randomBytes } from "node:crypto";

/** Pending sessions of type `T`. */
export interface TokenCache<T> {
  /** Sessions not yet taken (expired ones may be counted until the next put or take). */
  readonly size: number;
  /** Store `value` and return its new token. Throws {@link TokenCacheFullError} when too many are pending. */
  put(value: T): string;
  /** Take (and forget) the value for `token`; undefined when unknown, taken or expired. */
  take(token: string): T | undefined;
}

/** Thrown by {@link TokenCache.put} at the `maxPending` limit. */
export class TokenCacheFullError extends Error {
  constructor(readonly limit: number) {
    super(`too many pending streaming sessions (limit ${limit})`);
  }
}

/**
 * Create an empty cache. `now` is in milliseconds (default `Date.now`).
 * Tokens carry 128 random bits, base64url. Expired entries are dropped
 * lazily, so the cache needs no timer.
 */
export function createTokenCache<T>({
  ttlMs,
  maxPending = 1000,
  now = Date.now,
}: {
  ttlMs: number;
  maxPending?: number;
  now?: () => number;
}): TokenCache<T> {
  if (!(ttlMs > 0)) throw new TypeError(`token ttl must be positive, got ${ttlMs}`);
  // Map keeps insertion order, which is also expiry order: a sweep stops at
  // the first live entry.
  const entries = new Map<string, { value: T; expiresAt: number }>();
  const sweep = (at: number) => {
    for (const [token, entry] of entries) {
      if (entry.expiresAt > at) break;
      entries.delete(token);
    }
  };
  return {
    get size() {
      return entries.size;
    },
    put(value) {
      const at = now();
      sweep(at);
      if (entries.size >= maxPending) throw new TokenCacheFullError(maxPending);
      const token = randomBytes(16).toString("base64url");
      entries.set(token, { value, expiresAt: at + ttlMs });
      return token;
    },
    take(token) {
      const entry = entries.get(token);
      if (entry === undefined) return undefined;
      entries.delete(token);
      return entry.expiresAt > now() ? entry.value : undefined;
    },
  };
}
