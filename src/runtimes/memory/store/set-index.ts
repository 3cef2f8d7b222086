/**
 * Secondary indexes for list filters: key → set of ids (a pod sandbox's
 * containers, everything carrying a label), and the intersection that answers
 * a filter from the smallest set instead of scanning the store.
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
      if (set === undefined) sets.set(key, new Set([id]));
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

// The key a label pair is indexed under; NUL cannot occur in a label key.
function labelKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

/** Index every label of `id`. */
export function indexLabels(index: SetIndex, id: string, labels: Readonly<Record<string, string>>): void {
  for (const key in labels) index.add(labelKey(key, labels[key] as string), id);
}

/** Remove every label of `id` from the index. */
export function unindexLabels(index: SetIndex, id: string, labels: Readonly<Record<string, string>>): void {
  for (const key in labels) index.delete(labelKey(key, labels[key] as string), id);
}

/**
 * The label sets a selector needs, or undefined when some pair has no ids at
 * all (then nothing can match).
 */
export function labelSets(
  index: SetIndex,
  selector: Readonly<Record<string, string>>,
): ReadonlySet<string>[] | undefined {
  const out: ReadonlySet<string>[] = [];
  for (const key in selector) {
    const set = index.get(labelKey(key, selector[key] as string));
    if (set === undefined) return undefined;
    out.push(set);
  }
  return out;
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
