/**
 * Resolves a unique id prefix to a full id, like containerd's truncindex, with
 * distinct errors for an empty, an unknown and an ambiguous prefix. Lookups
 * cost the same whether the index holds ten ids or a million.
 */
import { CoreError } from "../../../core/core-error.js";

/** A set of lower-case hex ids that can be looked up by any unique prefix. */
export interface IdIndex {
  /** Number of ids held. */
  readonly size: number;
  /** Add a full id (at least 4 lower-case hex characters). Adding twice is a no-op. */
  add(id: string): void;
  /** Remove a full id; unknown ids are ignored. */
  delete(id: string): void;
  /** True when `id` is held exactly. */
  has(id: string): boolean;
  /**
   * The full id that `prefix` names. Throws CoreError: invalid_argument for an
   * empty or ambiguous prefix (`id prefix "3f" matches 2 containers`),
   * not_found for an unknown one (`container "3f" not found`).
   */
  resolve(prefix: string): string;
  /** Like {@link resolve} but answers undefined instead of throwing. */
  tryResolve(prefix: string): string | undefined;
}

/** Bucket keys are this many leading characters of an id. */
const bucketKeyLength = 4;
const hexDigits = "0123456789abcdef";
const hexPattern = /^[0-9a-f]*$/;

/**
 * Create an empty index. `noun` names the entity in error messages
 * ("container", "pod sandbox", "image").
 *
 * NOTE: ids are spread over buckets keyed by their first 4 hex characters
 * (65,536 buckets), so a lookup touches one bucket of a handful of ids. A
 * prefix shorter than 4 characters visits the at most 16^(4-n) buckets it
 * covers: bounded by the alphabet, never by the number of ids. A bucket that
 * holds one id stores the string itself rather than a one-element array,
 * which keeps the index small at 100k ids.
 */
export function createIdIndex({ noun }: { noun: string }): IdIndex {
  const buckets = new Map<string, string | string[]>();
  let size = 0;

  const collect = (prefix: string, key: string, out: string[], limit: number): void => {
    const bucket = buckets.get(key);
    if (bucket === undefined) return;
    if (typeof bucket === "string") {
      if (bucket.startsWith(prefix)) out.push(bucket);
      return;
    }
    for (const id of bucket) {
      if (out.length >= limit) return;
      if (id.startsWith(prefix)) out.push(id);
    }
  };

  // Every id starting with `prefix`, up to `limit` of them.
  const matches = (prefix: string, limit: number): string[] => {
    const out: string[] = [];
    if (!hexPattern.test(prefix)) return out;
    if (prefix.length >= bucketKeyLength) {
      collect(prefix, prefix.slice(0, bucketKeyLength), out, limit);
      return out;
    }
    const visit = (key: string): void => {
      if (out.length >= limit) return;
      if (key.length === bucketKeyLength) {
        collect(prefix, key, out, limit);
        return;
      }
      for (const digit of hexDigits) visit(key + digit);
    };
    visit(prefix);
    return out;
  };

  const lookup = (prefix: string, strict: boolean): string | undefined => {
    if (prefix === "") {
      if (strict) throw new CoreError("invalid_argument", `${noun} id must not be empty`);
      return undefined;
    }
    // Two matches already prove ambiguity; count them all only for the message.
    const found = matches(prefix, strict ? Number.POSITIVE_INFINITY : 2);
    if (found.length === 1) return found[0];
    if (!strict) return undefined;
    if (found.length === 0) throw new CoreError("not_found", `${noun} "${prefix}" not found`);
    throw new CoreError("invalid_argument", `id prefix "${prefix}" matches ${found.length} ${noun}s`);
  };

  return {
    get size() {
      return size;
    },
    add(id) {
      if (id.length < bucketKeyLength || !hexPattern.test(id)) {
        throw new CoreError("internal", `${noun} id "${id}" is not a hex id`);
      }
      const key = id.slice(0, bucketKeyLength);
      const bucket = buckets.get(key);
      if (bucket === undefined) {
        buckets.set(key, id);
      } else if (typeof bucket === "string") {
        if (bucket === id) return;
        buckets.set(key, [bucket, id]);
      } else {
        if (bucket.includes(id)) return;
        bucket.push(id);
      }
      size++;
    },
    delete(id) {
      const key = id.slice(0, bucketKeyLength);
      const bucket = buckets.get(key);
      if (bucket === undefined) return;
      if (typeof bucket === "string") {
        if (bucket !== id) return;
        buckets.delete(key);
      } else {
        const at = bucket.indexOf(id);
        if (at < 0) return;
        // Order inside a bucket does not matter: swap-remove is O(1).
        bucket[at] = bucket[bucket.length - 1] as string;
        bucket.pop();
        if (bucket.length === 1) buckets.set(key, bucket[0] as string);
      }
      size--;
    },
    has(id) {
      const bucket = buckets.get(id.slice(0, bucketKeyLength));
      if (bucket === undefined) return false;
      return typeof bucket === "string" ? bucket === id : bucket.includes(id);
    },
    resolve: (prefix) => lookup(prefix, true) as string,
    tryResolve: (prefix) => lookup(prefix, false),
  };
}
