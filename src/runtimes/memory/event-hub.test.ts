import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isCoreError } from "../../core/core-error.js";
import { createEventHub } from "./event-hub.js";

async function take<T>(iterator: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < n) {
    const r = await iterator.next();
    if (r.done === true) break;
    out.push(r.value);
  }
  return out;
}

describe("createEventHub", () => {
  it("delivers every event to every subscriber, in order", async () => {
    const hub = createEventHub<number>({ capacity: 10 });
    const a = hub.subscribe(new AbortController().signal)[Symbol.asyncIterator]();
    const b = hub.subscribe(new AbortController().signal)[Symbol.asyncIterator]();
    for (const n of [1, 2, 3]) hub.publish(() => n);
    assert.deepEqual(await take(a, 3), [1, 2, 3]);
    assert.deepEqual(await take(b, 3), [1, 2, 3]);
  });

  it("subscribes at call time, before the first read", async () => {
    const hub = createEventHub<number>({ capacity: 10 });
    const stream = hub.subscribe(new AbortController().signal);
    hub.publish(() => 7);
    assert.deepEqual(await take(stream[Symbol.asyncIterator](), 1), [7]);
  });

  it("builds nothing when nobody listens", () => {
    const hub = createEventHub<number>({ capacity: 10 });
    hub.publish(() => assert.fail("built without subscribers"));
  });

  it("builds each event once for many subscribers", () => {
    const hub = createEventHub<object>({ capacity: 10 });
    hub.subscribe(new AbortController().signal);
    hub.subscribe(new AbortController().signal);
    let builds = 0;
    hub.publish(() => ({ n: ++builds }));
    assert.equal(builds, 1);
  });

  it("wakes a waiting reader when an event arrives", async () => {
    const hub = createEventHub<number>({ capacity: 10 });
    const it = hub.subscribe(new AbortController().signal)[Symbol.asyncIterator]();
    const pending = it.next();
    hub.publish(() => 5);
    assert.deepEqual(await pending, { done: false, value: 5 });
  });

  it("ends the stream when the signal aborts", async () => {
    const hub = createEventHub<number>({ capacity: 10 });
    const controller = new AbortController();
    const it = hub.subscribe(controller.signal)[Symbol.asyncIterator]();
    const pending = it.next();
    controller.abort();
    assert.equal((await pending).done, true);
    assert.equal(hub.subscribers, 0);
  });

  it("ends every stream on close, and later subscriptions at once", async () => {
    const hub = createEventHub<number>({ capacity: 10 });
    const it = hub.subscribe(new AbortController().signal)[Symbol.asyncIterator]();
    const pending = it.next();
    hub.close();
    hub.close();
    assert.equal((await pending).done, true);
    assert.equal((await hub.subscribe(new AbortController().signal)[Symbol.asyncIterator]().next()).done, true);
  });

  it("cuts off a subscriber that falls behind with resource_exhausted, after what was queued", async () => {
    const hub = createEventHub<number>({ capacity: 3 });
    const slow = hub.subscribe(new AbortController().signal)[Symbol.asyncIterator]();
    const fast = hub.subscribe(new AbortController().signal)[Symbol.asyncIterator]();
    for (let n = 1; n <= 5; n++) {
      hub.publish(() => n);
      await fast.next();
    }
    assert.deepEqual(await take(slow, 3), [1, 2, 3]);
    await assert.rejects(slow.next(), (err: unknown) => isCoreError(err, "resource_exhausted"));
    assert.equal(hub.subscribers, 1, "the fast subscriber stays");
  });

  it("unsubscribes when the consumer breaks out of its loop", async () => {
    const hub = createEventHub<number>({ capacity: 10 });
    const stream = hub.subscribe(new AbortController().signal);
    hub.publish(() => 1);
    for await (const _ of stream) break;
    assert.equal(hub.subscribers, 0);
  });
});
