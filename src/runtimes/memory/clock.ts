/**
 * Time for the memory runtime: CRI timestamps are Unix epoch nanoseconds as
 * bigint. Tests inject their own clock through `MemoryRuntimeOptions.clock`.
 */

/** Returns the current time in Unix epoch nanoseconds; must be > 0 and never go back. */
export type Clock = () => bigint;

/**
 * The default clock: wall time at creation plus a monotonic offset, so
 * timestamps have nanosecond resolution and never run backwards even if the
 * system clock is stepped.
 */
export function createSystemClock(): Clock {
  const base = BigInt(Date.now()) * 1_000_000n;
  const origin = process.hrtime.bigint();
  return () => base + (process.hrtime.bigint() - origin);
}
