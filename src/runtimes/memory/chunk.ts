/**
 * Cuts a list answer into Stream* chunks that each stay under the message
 * limit, building messages only as each chunk is cut, yielding to the event
 * loop between chunks and stopping as soon as the call is aborted.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { fieldOverhead } from "./message-size.js";

/** How to chunk one list. */
export interface ChunkOptions<T, M> {
  /** The records to send, already filtered (a snapshot: later changes are not seen). */
  readonly items: readonly T[];
  /** Upper bound on one item's encoded size, repeated-field framing included. */
  readonly sizeOf: (item: T) => number;
  /** Build one item's message. */
  readonly build: (item: T) => M;
  /** The message limit; each chunk's items together stay below it. */
  readonly maxBytes: number;
  /** Stop when this aborts. */
  readonly signal: AbortSignal;
  /** At most this many items per chunk, so one chunk never blocks the loop for long. Default 2048. */
  readonly maxItems?: number;
}

/** Room kept for the response message's own framing. */
const responseOverhead = 2 * fieldOverhead;

/**
 * Yield the items' messages in chunks. An empty list yields no chunk. An item
 * larger than the whole budget is sent alone (it cannot be split); the
 * transport then reports it as too large, as it would for the List twin.
 */
export async function* chunked<T, M>({
  items,
  sizeOf,
  build,
  maxBytes,
  signal,
  maxItems = 2048,
}: ChunkOptions<T, M>): AsyncGenerator<M[]> {
  const budget = maxBytes - responseOverhead;
  let at = 0;
  while (at < items.length) {
    if (at > 0) await nextTurn();
    if (signal.aborted) return;
    const chunk: M[] = [];
    let bytes = 0;
    while (at < items.length && chunk.length < maxItems) {
      const item = items[at] as T;
      const size = sizeOf(item);
      if (chunk.length > 0 && bytes + size > budget) break;
      chunk.push(build(item));
      bytes += size;
      at++;
    }
    yield chunk;
  }
}
