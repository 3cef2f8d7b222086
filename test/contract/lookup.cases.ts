/**
 * Contract cases about finding things: list filters (id, prefix, state, pod,
 * labels) and id prefixes that are unique, unknown, ambiguous or empty.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import {
  ContainerState,
  ContainerStatusRequestSchema,
  ListContainersRequestSchema,
  ListPodSandboxRequestSchema,
  PodSandboxState,
  PodSandboxStatusRequestSchema,
  StartContainerRequestSchema,
  StopPodSandboxRequestSchema,
} from "../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../src/core/call-context.js";
import { type CaseKit, rejectsWithKind } from "./contract-fixture.js";

/** Register this file's cases with the runner. */
export function registerLookupCases({ test, open }: CaseKit): void {
  const ctx = createCallContext();

  test("list filters", "filters containers and sandboxes by id, prefix, state, pod and labels", async () => {
    const f = await open();
    const { core } = f;
    const podA = await f.runPod("a", { tier: "front" });
    const podB = await f.runPod("b", { tier: "back" });
    const a1 = await f.createContainer(podA, "one", { role: "web" });
    const a2 = await f.createContainer(podA, "two", { role: "worker" });
    const b1 = await f.createContainer(podB, "one", { role: "web" });
    await core.startContainer(create(StartContainerRequestSchema, { containerId: a1 }), ctx);

    const containers = async (filter: Record<string, unknown>) =>
      (
        await core.listContainers(
          create(ListContainersRequestSchema, { filter: { ...filter, labelSelector: { ...f.runLabel, ...((filter.labelSelector as object) ?? {}) } } }),
          ctx,
        )
      ).containers
        .map((c) => c.id)
        .sort();
    const sorted = (...ids: string[]) => ids.sort();

    assert.deepEqual(await containers({}), sorted(a1, a2, b1), "the run label alone selects ours");
    assert.deepEqual(await containers({ id: a2 }), [a2]);
    assert.deepEqual(await containers({ id: a2.slice(0, 20) }), [a2], "id prefix");
    assert.deepEqual(await containers({ podSandboxId: podA }), sorted(a1, a2));
    assert.deepEqual(await containers({ podSandboxId: podB.slice(0, 20) }), [b1], "pod id prefix");
    assert.deepEqual(await containers({ state: { state: ContainerState.CONTAINER_RUNNING } }), [a1]);
    assert.deepEqual(await containers({ labelSelector: { role: "web" } }), sorted(a1, b1));
    assert.deepEqual(await containers({ podSandboxId: podA, labelSelector: { role: "web" } }), [a1]);
    assert.deepEqual(await containers({ labelSelector: { role: "nobody" } }), []);

    const listed = (await core.listContainers(create(ListContainersRequestSchema, { filter: { id: a1 } }), ctx)).containers[0];
    assert.equal(listed?.podSandboxId, podA);
    assert.equal(listed?.metadata?.name, "one");
    assert.equal(listed?.state, ContainerState.CONTAINER_RUNNING);
    assert.equal(listed?.labels.role, "web");

    await core.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId: podB }), ctx);
    const pods = async (filter: Record<string, unknown>) =>
      (
        await core.listPodSandbox(
          create(ListPodSandboxRequestSchema, { filter: { ...filter, labelSelector: { ...f.runLabel, ...((filter.labelSelector as object) ?? {}) } } }),
          ctx,
        )
      ).items
        .map((p) => p.id)
        .sort();
    assert.deepEqual(await pods({}), sorted(podA, podB));
    assert.deepEqual(await pods({ id: podA.slice(0, 20) }), [podA]);
    assert.deepEqual(await pods({ state: { state: PodSandboxState.SANDBOX_NOTREADY } }), [podB]);
    assert.deepEqual(await pods({ labelSelector: { tier: "front" } }), [podA]);
  });

  test("unique id prefix", "accepts a unique id prefix wherever an id is taken", async () => {
    const f = await open();
    const podId = await f.runPod("prefix");
    const id = await f.createContainer(podId, "c");
    const status = await f.core.containerStatus(create(ContainerStatusRequestSchema, { containerId: id.slice(0, 12) }), ctx);
    assert.equal(status.status?.id, id);
    const pod = await f.core.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId: podId.slice(0, 12) }), ctx);
    assert.equal(pod.status?.id, podId);
    await f.core.startContainer(create(StartContainerRequestSchema, { containerId: id.slice(0, 12) }), ctx);
    const after = await f.core.containerStatus(create(ContainerStatusRequestSchema, { containerId: id }), ctx);
    assert.equal(after.status?.state, ContainerState.CONTAINER_RUNNING);
  });

  test("unknown id", "rejects unknown container and sandbox ids with not_found", async () => {
    const { core } = await open();
    const unknown = randomBytes(32).toString("hex");
    await rejectsWithKind(core.containerStatus(create(ContainerStatusRequestSchema, { containerId: unknown }), ctx), "not_found");
    await rejectsWithKind(core.startContainer(create(StartContainerRequestSchema, { containerId: unknown }), ctx), "not_found");
    await rejectsWithKind(core.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId: unknown }), ctx), "not_found");
  });

  test("ambiguous id prefix", "rejects an ambiguous id prefix with invalid_argument", async () => {
    const f = await open();
    const podId = await f.runPod("ambiguous");
    // 17 random ids always include two with the same first hex digit.
    const ids: string[] = [];
    for (let i = 0; i < 17; i++) ids.push(await f.createContainer(podId, `c${i}`));
    const first = ids.map((id) => id[0]).find((c, i, all) => all.indexOf(c) !== i) as string;
    await rejectsWithKind(f.core.containerStatus(create(ContainerStatusRequestSchema, { containerId: first }), ctx), "invalid_argument");
  });

  test("empty id", "rejects an empty id with invalid_argument", async () => {
    const { core } = await open();
    await rejectsWithKind(core.containerStatus(create(ContainerStatusRequestSchema, { containerId: "" }), ctx), "invalid_argument");
    await rejectsWithKind(core.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId: "" }), ctx), "invalid_argument");
  });
}
