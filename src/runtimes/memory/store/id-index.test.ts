import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CoreError } from "../../../core/core-error.js";
import { createIdIndex } from "./id-index.js";

const a = `3f2a${"0".repeat(60)}`;
const b = `3f2b${"1".repeat(60)}`;
const c = `3f2a9${"2".repeat(59)}`;
const d = `9999${"3".repeat(60)}`;

function indexOf(...ids: string[]) {
  const index = createIdIndex({ noun: "container" });
  for (const id of ids) index.add(id);
  return index;
}

function kindOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof CoreError ? err.kind : "other";
  }
}

describe("createIdIndex", () => {
  const resolves: { desc: string; prefix: string; want: string }[] = [
    { desc: "resolves a full id to itself", prefix: d, want: d },
    { desc: "resolves a unique 1-character prefix", prefix: "9", want: d },
    { desc: "resolves a unique prefix inside a shared bucket", prefix: "3f2a0", want: a },
    { desc: "resolves a prefix shorter than the bucket key", prefix: "3f2b", want: b },
    { desc: "resolves a longer unique prefix", prefix: c.slice(0, 20), want: c },
  ];
  for (const t of resolves) {
    it(t.desc, () => assert.equal(indexOf(a, b, c, d).resolve(t.prefix), t.want));
  }

  const failures: { desc: string; prefix: string; kind: string; message: RegExp }[] = [
    { desc: "rejects an empty prefix with invalid_argument", prefix: "", kind: "invalid_argument", message: /must not be empty/ },
    { desc: "rejects an unknown prefix with not_found", prefix: "abcd", kind: "not_found", message: /container "abcd" not found/ },
    { desc: "rejects a non-hex prefix with not_found", prefix: "zz", kind: "not_found", message: /not found/ },
    { desc: "rejects an ambiguous prefix with invalid_argument and a count", prefix: "3f", kind: "invalid_argument", message: /id prefix "3f" matches 3 containers/ },
    { desc: "rejects an ambiguous prefix inside one bucket", prefix: "3f2a", kind: "invalid_argument", message: /matches 2 containers/ },
  ];
  for (const t of failures) {
    it(t.desc, () => {
      const index = indexOf(a, b, c, d);
      assert.equal(kindOf(() => index.resolve(t.prefix)), t.kind);
      assert.throws(() => index.resolve(t.prefix), t.message);
      assert.equal(index.tryResolve(t.prefix), undefined);
    });
  }

  it("forgets deleted ids and makes their siblings unique again", () => {
    const index = indexOf(a, b, c);
    index.delete(c);
    assert.equal(index.resolve("3f2a"), a);
    assert.equal(index.size, 2);
    index.delete(c);
    assert.equal(index.size, 2, "deleting twice is a no-op");
    index.delete(a);
    assert.equal(index.has(a), false);
    assert.equal(index.resolve("3f"), b);
  });

  it("ignores adding the same id twice", () => {
    const index = indexOf(a, a, b, b);
    assert.equal(index.size, 2);
  });

  it("refuses ids that are not hex", () => {
    assert.equal(kindOf(() => indexOf("xyz!")), "internal");
  });

  it("keeps full-id lookups fast at 100k ids", () => {
    const index = createIdIndex({ noun: "container" });
    const ids: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const id = (i * 2654435761 % 2 ** 32).toString(16).padStart(8, "0") + i.toString(16).padStart(56, "0");
      ids.push(id);
      index.add(id);
    }
    const start = performance.now();
    for (let i = 0; i < 10_000; i++) index.resolve(ids[(i * 7) % ids.length] as string);
    const perLookupUs = ((performance.now() - start) * 1000) / 10_000;
    assert.ok(perLookupUs < 50, `a lookup took ${perLookupUs.toFixed(1)} µs`);
  });
});
