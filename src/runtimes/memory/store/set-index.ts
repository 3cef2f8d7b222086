/**
 * Secondary indexes for list filters: key → set of ids (a pod sandbox's
 * containers), label pair → set of ids, and the intersection that answers a
 * filter from the smallest set instead of scanning the store.
 */

/** Many ids per key; empty sets are dropped so the index never holds garbage. */
export interface SetIndex {
  add(key: string, id: string): void;
  delete(key: string, id: string): void;
  /** The ids under `key`; undefined when there are none. Do not mutate. */
  get(key: string): ReadonlySet<string> | undefined;
}

/** Create an empty key → ids index. */
export function createSetIndex(): SetIndex {
  const sets = new Map<string, Set<string>>();
  return {
    add(key, id) {
      const set = sets.get(key);
      if (set === undefined) sets.set(key, new Set<string>().add(id));
      else set.add(id);
    },
    delete(key, id) {
      const set = sets.get(key);
      if (set === undefined) return;
      set.delete(id);
      if (set.size === 0) sets.delete(key);
    },
    get: (key) => sets.get(key),
  };
}

/**
 * Label pair → ids, for label selectors. Two levels, key then value, so that
 * indexing a label never builds a combined key string: building and hashing
 * one per label was the largest item in CreateContainer's profile.
 */
export interface LabelIndex {
  /** Index every label of `id`. */
  add(id: string, labels: Readonly<Record<string, string>>): void;
  /** Remove every label of `id`; pairs left with no ids are dropped. */
  delete(id: string, labels: Readonly<Record<string, string>>): void;
  /**
   * The id sets a selector needs, or undefined when some pair has no ids at
   * all (then nothing can match). Do not mutate them.
   */
  sets(selector: Readonly<Record<string, string>>): ReadonlySet<string>[] | undefined;
}

/** Create an empty label index. */
export function createLabelIndex(): LabelIndex {
  const keys = new Map<string, Map<string, Set<string>>>();
  return {
    add(id, labels) {
      for (const key in labels) {
        let values = keys.get(key);
        if (values === undefined) keys.set(key, (values = new Map()));
        const value = labels[key] as string;
        const set = values.get(value);
        if (set === undefined) values.set(value, new Set<string>().add(id));
        else set.add(id);
      }
    },
    delete(id, labels) {
      for (const key in labels) {
        const values = keys.get(key);
        const value = labels[key] as string;
        const set = values?.get(value);
        if (values === undefined || set === undefined) continue;
        set.delete(id);
        if (set.size > 0) continue;
        values.delete(value);
        if (values.size === 0) keys.delete(key);
      }
    },
    sets(selector) {
      const out: ReadonlySet<string>[] = [];
      for (const key in selector) {
        const set = keys.get(key)?.get(selector[key] as string);
        if (set === undefined) return undefined;
        out.push(set);
      }
      return out;
    },
  };
}

/**
 * Ids present in every set. Walks the smallest set and probes the others, so
 * the cost is that set's size times the number of sets.
 */
export function intersect(sets: readonly ReadonlySet<string>[]): string[] {
  if (sets.length === 0) return [];
  let smallest = sets[0] as ReadonlySet<string>;
  for (const set of sets) if (set.size < smallest.size) smallest = set;
  const out: string[] = [];
  outer: for (const id of smallest) {
    for (const set of sets) {
      if (set !== smallest && !set.has(id)) continue outer;
    }
    out.push(id);
  }
  return out;
}
