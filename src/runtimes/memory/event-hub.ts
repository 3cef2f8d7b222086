/**
 * A broadcast hub with one bounded queue per subscriber. Publishing builds the
 * message once (and not at all without subscribers); a subscriber that falls
 * more than `capacity` events behind is cut off with resource_exhausted
 * instead of letting its queue grow without bound.
 */
import { CoreError } from "../../core/core-error.js";

/** Fan-out of messages of type T to every live subscriber. */
export interface EventHub<T> {
  /** Number of live subscribers. */
  readonly subscribers: number;
  /** Deliver `build()` to every subscriber; `build` runs only if there is one. */
  publish(build: () => T): void;
  /**
   * Subscribe now (not on first iteration, so nothing published after this
   * call is missed). The stream ends when `signal` aborts or the hub closes,
   * and throws resource_exhausted after a queue overflow.
   */
  subscribe(signal: AbortSignal): AsyncIterable<T>;
  /** End every stream; later subscriptions end at once. Idempotent. */
  close(): void;
}

interface Subscriber<T> {
  queue: T[];
  head: number;
  /** "overflowed" still drains what was queued, then throws. */
  state: "open" | "overflowed" | "ended";
  wake: (() => void) | undefined;
}

const done = { done: true, value: undefined } as const;

/** Create a hub; `capacity` is the most events one subscriber may have queued. */
export function createEventHub<T>({ capacity, noun = "event" }: { capacity: number; noun?: string }): EventHub<T> {
  const live = new Set<Subscriber<T>>();
  let closed = false;

  const end = (sub: Subscriber<T>, state: "overflowed" | "ended"): void => {
    live.delete(sub);
    if (sub.state === "open") sub.state = state;
    const wake = sub.wake;
    sub.wake = undefined;
    wake?.();
  };

  return {
    get subscribers() {
      return live.size;
    },
    publish(build) {
      if (live.size === 0) return;
      const message = build();
      for (const sub of live) {
        if (sub.queue.length - sub.head >= capacity) {
          end(sub, "overflowed");
          continue;
        }
        sub.queue.push(message);
        const wake = sub.wake;
        sub.wake = undefined;
        wake?.();
      }
    },
    subscribe(signal) {
      const sub: Subscriber<T> = { queue: [], head: 0, state: "open", wake: undefined };
      if (closed || signal.aborted) sub.state = "ended";
      else live.add(sub);
      const onAbort = () => end(sub, "ended");
      signal.addEventListener("abort", onAbort, { once: true });
      const finish = () => {
        signal.removeEventListener("abort", onAbort);
        end(sub, "ended");
        sub.queue = [];
        sub.head = 0;
      };

      const iterator: AsyncIterator<T> = {
        async next(): Promise<IteratorResult<T>> {
          for (;;) {
            if (sub.head < sub.queue.length) {
              const value = sub.queue[sub.head] as T;
              sub.queue[sub.head] = undefined as T;
              sub.head++;
              // Compact now and then so a long-lived queue does not keep a
              // growing array of holes.
              if (sub.head >= 1024 && sub.head * 2 >= sub.queue.length) {
                sub.queue = sub.queue.slice(sub.head);
                sub.head = 0;
              }
              return { done: false, value };
            }
            if (sub.state === "overflowed") {
              finish();
              throw new CoreError(
                "resource_exhausted",
                `${noun} subscriber fell more than ${capacity} events behind; subscribe again and relist`,
              );
            }
            if (sub.state === "ended") {
              finish();
              return done;
            }
            await new Promise<void>((resolve) => {
              sub.wake = resolve;
            });
          }
        },
        async return(): Promise<IteratorResult<T>> {
          finish();
          return done;
        },
      };
      return { [Symbol.asyncIterator]: () => iterator };
    },
    close() {
      if (closed) return;
      closed = true;
      for (const sub of [...live]) end(sub, "ended");
    },
  };
}
