import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { PodSandboxConfigSchema, PodSandboxState } from "../../../../gen/runtime/v1/api_pb.js";
import { isCoreError } from "../../../core/core-error.js";
import { type SandboxChange, createSandboxStore, sandboxState } from "./sandbox-store.js";

function setup() {
  const changes: SandboxChange[] = [];
  const store = createSandboxStore({ onChange: (change) => changes.push(change) });
  const record = store.add({
    id: "d".repeat(64),
    config: create(PodSandboxConfigSchema, { metadata: { name: "p" }, labels: { app: "x" } }),
    runtimeHandler: "",
    createdAt: 10n,
    ip: "10.88.0.2",
    sizeHint: 100,
  });
  return { store, record, changes };
}

describe("SandboxStore", () => {
  it("starts READY and becomes NOTREADY when stopped", () => {
    const { store, record } = setup();
    assert.equal(sandboxState(record), PodSandboxState.SANDBOX_READY);
    store.update(record.id, () => ({ stoppedAt: 20n }));
    assert.equal(sandboxState(record), PodSandboxState.SANDBOX_NOTREADY);
  });

  it("rejects stopping a stopped sandbox again", () => {
    const { store, record } = setup();
    store.update(record.id, () => ({ stoppedAt: 20n }));
    assert.throws(() => store.update(record.id, () => ({ stoppedAt: 30n })), (err: unknown) => isCoreError(err, "failed_precondition"));
    assert.equal(record.stoppedAt, 20n);
  });

  it("refuses to delete a ready sandbox", () => {
    const { store, record } = setup();
    assert.throws(() => store.delete(record.id, 0), /it is ready/);
  });

  it("refuses to delete a sandbox that still has containers", () => {
    const { store, record } = setup();
    store.update(record.id, () => ({ stoppedAt: 20n }));
    assert.throws(() => store.delete(record.id, 2), /still has 2 containers/);
  });

  it("reports created, stopped and deleted", () => {
    const { store, record, changes } = setup();
    store.update(record.id, () => ({ stoppedAt: 20n }));
    store.delete(record.id, 0);
    assert.deepEqual(changes, ["created", "stopped", "deleted"]);
    assert.deepEqual(store.select({ labels: { app: "x" } }), []);
  });

  it("answers filters by label, state and id prefix", () => {
    const { store, record } = setup();
    assert.equal(store.select({ labels: { app: "x" } }).length, 1);
    assert.equal(store.select({ state: PodSandboxState.SANDBOX_NOTREADY }).length, 0);
    assert.equal(store.select({ id: "ddd" })[0], record);
    assert.equal(store.match("ddd"), record);
    assert.equal(store.match("e"), undefined);
  });
});
