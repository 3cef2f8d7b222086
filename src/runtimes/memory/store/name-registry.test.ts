import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isCoreError } from "../../../core/core-error.js";
import { createNameRegistry } from "./name-registry.js";

describe("createNameRegistry", () => {
  it("reserves a free name for an id", () => {
    const names = createNameRegistry({ noun: "container" });
    names.reserve("web_pod_ns_uid_0", "id1");
    assert.equal(names.get("web_pod_ns_uid_0"), "id1");
  });

  it("accepts reserving the same name for the same id again", () => {
    const names = createNameRegistry({ noun: "container" });
    names.reserve("n", "id1");
    assert.doesNotThrow(() => names.reserve("n", "id1"));
  });

  it("rejects a name held by another id with already_exists naming the holder", () => {
    const names = createNameRegistry({ noun: "pod sandbox" });
    names.reserve("n", "id1");
    assert.throws(
      () => names.reserve("n", "id2"),
      (err: unknown) => isCoreError(err, "already_exists") && /pod sandbox name "n" is reserved for "id1"/.test(err.message),
    );
  });

  it("frees a name on release so another id can take it", () => {
    const names = createNameRegistry({ noun: "container" });
    names.reserve("n", "id1");
    names.release("n");
    names.release("n");
    names.reserve("n", "id2");
    assert.equal(names.get("n"), "id2");
  });
});
