import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createBackoff } from "./backoff.js";

/** The first `n` delays of a schedule. */
const delays = (n: number, ...args: Parameters<typeof createBackoff>): number[] => {
  const backoff = createBackoff(...args);
  return Array.from({ length: n }, () => backoff.next());
};

describe("createBackoff", () => {
  const table: { desc: string; random: number; initialMs?: number; maxMs?: number; want: number[] }[] = [
    { desc: "without jitter grows by 1.6 from 100 ms and stops at 1 s", random: 0.5, want: [100, 160, 256, 410, 655, 1000, 1000] },
    { desc: "with the lowest jitter is 20% shorter, 800 ms once capped", random: 0, want: [80, 128, 205, 328, 524, 800, 800] },
    // 0.999… → +20% of the base, but never above the cap.
    { desc: "with the highest jitter is 20% longer but never above the cap", random: 0.9999, want: [120, 192, 307, 492, 786, 1000, 1000] },
    { desc: "follows reconnect-initial-ms and reconnect-max-ms", random: 0.5, initialMs: 50, maxMs: 200, want: [50, 80, 128, 200, 200] },
    { desc: "starts at the cap when the initial delay is above it", random: 0.5, initialMs: 500, maxMs: 300, want: [300, 300] },
    { desc: "never waits less than 1 ms", random: 0, initialMs: 1, maxMs: 1, want: [1, 1] },
  ];
  for (const row of table) {
    it(row.desc, () => {
      const got = delays(row.want.length, { initialMs: row.initialMs, maxMs: row.maxMs, random: () => row.random });
      assert.deepEqual(got, row.want);
    });
  }

  it("starts over from the initial delay after reset", () => {
    const backoff = createBackoff({ random: () => 0.5 });
    assert.deepEqual([backoff.next(), backoff.next(), backoff.next()], [100, 160, 256]);
    backoff.reset();
    assert.deepEqual([backoff.next(), backoff.next()], [100, 160]);
  });

  it("draws a fresh jitter for every delay", () => {
    const draws = [0, 1 - Number.EPSILON, 0.5];
    const backoff = createBackoff({ random: () => draws.shift() ?? 0.5 });
    assert.deepEqual([backoff.next(), backoff.next(), backoff.next()], [80, 192, 256]);
  });
});
