import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chunked } from "./chunk.js";

async function collect<T>(gen: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const chunk of gen) out.push(chunk);
  return out;
}
const items = Array.from({ length: 10 }, (_, i) => i);
const signal = new AbortController().signal;

describe("chunked", () => {
  const cases: { desc: string; maxBytes: number; maxItems?: number; sizes: number[] }[] = [
    { desc: "fits everything in one chunk when it is small", maxBytes: 10_000, sizes: [10] },
    { desc: "cuts chunks at the byte budget", maxBytes: 100 + 12, sizes: [4, 4, 2] },
    { desc: "cuts chunks at the item cap", maxBytes: 10_000, maxItems: 3, sizes: [3, 3, 3, 1] },
    { desc: "sends an item bigger than the budget alone", maxBytes: 12 + 10, sizes: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1] },
  ];
  for (const t of cases) {
    it(t.desc, async () => {
      const chunks = await collect(
        chunked({ items, sizeOf: () => 25, build: (n) => n, maxBytes: t.maxBytes, maxItems: t.maxItems, signal }),
      );
      assert.deepEqual(chunks.map((c) => c.length), t.sizes);
      assert.deepEqual(chunks.flat(), items, "every item once, in order");
    });
  }

  it("yields nothing for an empty list", async () => {
    assert.deepEqual(await collect(chunked({ items: [], sizeOf: () => 1, build: (n) => n, maxBytes: 100, signal })), []);
  });

  it("builds items only as their chunk is cut", async () => {
    let built = 0;
    const gen = chunked({ items, sizeOf: () => 1, build: (n) => (built++, n), maxBytes: 1000, maxItems: 2, signal });
    await gen.next();
    assert.equal(built, 2);
  });

  it("stops when the signal aborts", async () => {
    const controller = new AbortController();
    const gen = chunked({ items, sizeOf: () => 1, build: (n) => n, maxBytes: 1000, maxItems: 2, signal: controller.signal });
    await gen.next();
    controller.abort();
    assert.equal((await gen.next()).done, true);
  });
});
