/**
 * The proxy's token cache: tokens are random and single use, expire after
 * the TTL (with an injected clock), and `maxPending` bounds what waits.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenCacheFullError, createTokenCache } from "./token-cache.js";

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let at = start;
  return {
    now: () => at,
    advance(ms) {
      at += ms;
    },
  };
}

describe("createTokenCache", () => {
  it("gives a value back once, then forgets the token", () => {
    const cache = createTokenCache<string>({ ttlMs: 1000 });
    const token = cache.put("session-a");
    assert.equal(cache.size, 1);
    assert.equal(cache.take(token), "session-a");
    assert.equal(cache.size, 0);
    assert.equal(cache.take(token), undefined, "a second take finds nothing");
  });

  it("answers undefined for a token it never issued", () => {
    const cache = createTokenCache<string>({ ttlMs: 1000 });
    cache.put("x");
    assert.equal(cache.take("not-a-token"), undefined);
    assert.equal(cache.take(""), undefined);
    assert.equal(cache.size, 1, "an unknown token takes nothing away");
  });

  it("keeps a token valid until just before the TTL and refuses it at the TTL", () => {
    const clock = manualClock();
    const cache = createTokenCache<string>({ ttlMs: 500, now: clock.now });
    const early = cache.put("early");
    const late = cache.put("late");
    clock.advance(499);
    assert.equal(cache.take(early), "early", "1 ms before expiry the token still works");
    clock.advance(1);
    assert.equal(cache.take(late), undefined, "at expiry the token is refused");
    assert.equal(cache.size, 0, "an expired take forgets the entry too");
  });

  it("drops expired entries on put so they stop counting against maxPending", () => {
    const clock = manualClock();
    const cache = createTokenCache<number>({ ttlMs: 100, maxPending: 2, now: clock.now });
    cache.put(1);
    cache.put(2);
    assert.throws(() => cache.put(3), TokenCacheFullError);
    clock.advance(100);
    const token = cache.put(4);
    assert.equal(cache.size, 1, "both expired entries were swept");
    assert.equal(cache.take(token), 4);
  });

  it("throws TokenCacheFullError naming the limit at maxPending", () => {
    const cache = createTokenCache<number>({ ttlMs: 60_000, maxPending: 3 });
    const tokens = [cache.put(1), cache.put(2), cache.put(3)];
    assert.throws(
      () => cache.put(4),
      (err: unknown) => err instanceof TokenCacheFullError && err.limit === 3 && /limit 3/.test(err.message),
    );
    assert.equal(cache.size, 3, "the refused put stored nothing");
    // Taking one frees a slot.
    assert.equal(cache.take(tokens[1] as string), 2);
    assert.doesNotThrow(() => cache.put(5));
  });

  it("issues unique, URL-safe tokens of 128 random bits", () => {
    const cache = createTokenCache<number>({ ttlMs: 60_000, maxPending: 5000 });
    const tokens = new Set<string>();
    for (let i = 0; i < 2000; i++) tokens.add(cache.put(i));
    assert.equal(tokens.size, 2000, "no token repeats");
    for (const token of tokens) assert.match(token, /^[A-Za-z0-9_-]{22}$/);
    // Different caches do not share a sequence either.
    const other = createTokenCache<number>({ ttlMs: 60_000 });
    assert.ok(!tokens.has(other.put(0)));
    // Bits are spread: every base64url character turns up somewhere.
    const seen = new Set([...tokens].join(""));
    assert.ok(seen.size >= 60, `only ${seen.size} distinct characters in 2000 tokens`);
  });

  it("rejects a TTL that is not positive", () => {
    for (const ttlMs of [0, -1, Number.NaN]) {
      assert.throws(() => createTokenCache({ ttlMs }), TypeError, `ttl ${ttlMs}`);
    }
  });
});
