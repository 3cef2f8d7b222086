/**
 * Random 64-hex ids for sandboxes and containers (as containerd makes them),
 * and URL-safe single-use tokens. Random bytes are drawn in batches because
 * one crypto call per id is the cost that dominates creating 100k containers.
 */
import { randomFillSync } from "node:crypto";

/** Bytes in an id (64 hex characters). */
const idBytes = 32;
/** Ids drawn per crypto call. */
const batch = 256;

/** Create a generator of random 64-hex ids. */
export function createIdGenerator(): () => string {
  const pool = Buffer.alloc(idBytes * batch);
  let next = batch;
  return () => {
    if (next === batch) {
      randomFillSync(pool);
      next = 0;
    }
    const start = next * idBytes;
    next++;
    return pool.toString("hex", start, start + idBytes);
  };
}
