/** Bounded polling for end-to-end tests: never loop forever. */
import { setTimeout as delay } from "node:timers/promises";

/**
 * Poll `probe` every `intervalMs` until it returns a value other than
 * undefined or false, and return that value. Throws after `timeoutMs`, with
 * `what` in the message.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 5000, intervalMs = 10 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}
