import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ContainerConfigSchema, ContainerState } from "../../../../gen/runtime/v1/api_pb.js";
import { isCoreError } from "../../../core/core-error.js";
import {
  type ContainerChange,
  type ContainerStatusFields,
  type ContainerStore,
  containerState,
  createContainerStore,
} from "./container-store.js";

const { CONTAINER_CREATED: CREATED, CONTAINER_RUNNING: RUNNING, CONTAINER_EXITED: EXITED, CONTAINER_UNKNOWN: UNKNOWN } =
  ContainerState;

const pod = "a".repeat(64);
let seq = 0;
function newStore(changes: [ContainerChange, string][] = []) {
  return createContainerStore({ onChange: (change, record) => changes.push([change, record.id]) });
}
function addContainer(store: ContainerStore, labels: Record<string, string> = {}, podSandboxId = pod) {
  const id = (++seq).toString(16).padStart(4, "0") + "c".repeat(60);
  return store.add({
    id,
    podSandboxId,
    config: create(ContainerConfigSchema, { metadata: { name: `c${seq}` }, labels }),
    imageId: "sha256:img",
    createdAt: 100n,
    sizeHint: 200,
  });
}

// Moves a test can make, each as the status change a verb would apply.
const moves: Record<string, Partial<ContainerStatusFields>> = {
  start: { startedAt: 200n },
  stop: { finishedAt: 300n, exitCode: 0, reason: "Completed", unknown: false },
  lose: { unknown: true },
};

/** Drive a fresh container into `state`. */
function inState(store: ContainerStore, state: ContainerState) {
  const record = addContainer(store);
  if (state === RUNNING || state === EXITED || state === UNKNOWN) store.update(record.id, () => moves.start as Partial<ContainerStatusFields>);
  if (state === EXITED) store.update(record.id, () => moves.stop as Partial<ContainerStatusFields>);
  if (state === UNKNOWN) store.update(record.id, () => moves.lose as Partial<ContainerStatusFields>);
  return record;
}

describe("containerState", () => {
  const cases: { desc: string; fields: Pick<ContainerStatusFields, "unknown" | "startedAt" | "finishedAt">; want: ContainerState }[] = [
    { desc: "is CREATED with no timestamps", fields: { unknown: false, startedAt: 0n, finishedAt: 0n }, want: CREATED },
    { desc: "is RUNNING once started", fields: { unknown: false, startedAt: 1n, finishedAt: 0n }, want: RUNNING },
    { desc: "is EXITED once finished", fields: { unknown: false, startedAt: 1n, finishedAt: 2n }, want: EXITED },
    { desc: "is UNKNOWN when flagged, whatever the timestamps", fields: { unknown: true, startedAt: 1n, finishedAt: 0n }, want: UNKNOWN },
  ];
  for (const t of cases) it(t.desc, () => assert.equal(containerState(t.fields), t.want));
});

describe("ContainerStore.update", () => {
  const transitions: { desc: string; from: ContainerState; move: keyof typeof moves; to?: ContainerState }[] = [
    { desc: "starts a created container", from: CREATED, move: "start", to: RUNNING },
    { desc: "stops a running container", from: RUNNING, move: "stop", to: EXITED },
    { desc: "loses a running container", from: RUNNING, move: "lose", to: UNKNOWN },
    { desc: "stops an unknown container", from: UNKNOWN, move: "stop", to: EXITED },
    { desc: "rejects starting a running container", from: RUNNING, move: "start" },
    { desc: "rejects starting an exited container", from: EXITED, move: "start" },
    { desc: "rejects stopping a created container", from: CREATED, move: "stop" },
    { desc: "rejects stopping an exited container again", from: EXITED, move: "stop" },
    { desc: "rejects losing a created container", from: CREATED, move: "lose" },
  ];
  for (const t of transitions) {
    it(t.desc, () => {
      const store = newStore();
      const record = inState(store, t.from);
      const change = moves[t.move] as Partial<ContainerStatusFields>;
      if (t.to !== undefined) {
        store.update(record.id, () => change);
        assert.equal(containerState(record), t.to);
      } else {
        assert.throws(
          () => store.update(record.id, () => change),
          (err: unknown) => isCoreError(err, "failed_precondition") && /cannot \w+/.test(err.message),
        );
        assert.equal(containerState(record), t.from, "a rejected move changes nothing");
      }
    });
  }

  it("names the action and the state in a rejection", () => {
    const store = newStore();
    const record = inState(store, RUNNING);
    assert.throws(() => store.update(record.id, () => ({ startedAt: 500n })), new RegExp(`cannot start container "${record.id}": it is running`));
  });

  it("allows changes that keep the state (resources, log reopen)", () => {
    const store = newStore();
    const record = inState(store, RUNNING);
    store.update(record.id, () => ({ logReopens: 1 }));
    assert.equal(record.logReopens, 1);
  });

  it("reports created, started, stopped and deleted to the listener", () => {
    const changes: [ContainerChange, string][] = [];
    const store = newStore(changes);
    const record = inState(store, EXITED);
    store.delete(record.id);
    assert.deepEqual(changes.map(([c]) => c), ["created", "started", "stopped", "deleted"]);
  });

  it("reports nothing for a rejected move", () => {
    const changes: [ContainerChange, string][] = [];
    const store = newStore(changes);
    const record = inState(store, RUNNING);
    assert.throws(() => store.update(record.id, () => ({ startedAt: 1000n })));
    assert.deepEqual(changes.map(([c]) => c), ["created", "started"]);
  });
});

describe("ContainerStore.delete", () => {
  for (const state of [RUNNING, UNKNOWN]) {
    it(`refuses to delete a ${ContainerState[state]} container`, () => {
      const store = newStore();
      const record = inState(store, state);
      assert.throws(() => store.delete(record.id), (err: unknown) => isCoreError(err, "failed_precondition"));
      assert.equal(store.size, 1);
    });
  }
  it("drops the container from every index", () => {
    const store = newStore();
    const record = addContainer(store, { app: "x" });
    store.delete(record.id);
    assert.equal(store.get(record.id), undefined);
    assert.deepEqual(store.inSandbox(pod), []);
    assert.deepEqual(store.select({ labels: { app: "x" } }), []);
    assert.equal(store.imageUsers("sha256:img"), 0);
  });
});

describe("ContainerStore.select", () => {
  const otherPod = "b".repeat(64);
  const store = newStore();
  const web = addContainer(store, { app: "web", tier: "front" });
  const api = addContainer(store, { app: "api", tier: "front" });
  const db = addContainer(store, { app: "db" }, otherPod);
  store.update(api.id, () => ({ startedAt: 200n }));

  const cases: { desc: string; selector: Parameters<ContainerStore["select"]>[0]; want: string[] }[] = [
    { desc: "returns everything with no filter", selector: {}, want: [web.id, api.id, db.id] },
    { desc: "filters by pod sandbox", selector: { podSandboxId: pod }, want: [web.id, api.id] },
    { desc: "filters by one label", selector: { labels: { tier: "front" } }, want: [web.id, api.id] },
    { desc: "requires every label to match", selector: { labels: { tier: "front", app: "api" } }, want: [api.id] },
    { desc: "matches nothing for an unknown label value", selector: { labels: { app: "nope" } }, want: [] },
    { desc: "filters by state", selector: { state: RUNNING }, want: [api.id] },
    { desc: "combines pod, label and state", selector: { podSandboxId: pod, labels: { tier: "front" }, state: CREATED }, want: [web.id] },
    { desc: "filters by a unique id prefix", selector: { id: db.id.slice(0, 4) }, want: [db.id] },
    { desc: "matches nothing for an ambiguous id prefix", selector: { id: "000" }, want: [] },
    { desc: "matches nothing for an unknown pod", selector: { podSandboxId: "f".repeat(64) }, want: [] },
  ];
  for (const t of cases) {
    it(t.desc, () => assert.deepEqual(store.select(t.selector).map((r) => r.id).sort(), [...t.want].sort()));
  }
});
