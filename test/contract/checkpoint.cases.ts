/**
 * Contract cases about pod checkpoints: CheckpointPod into an empty directory
 * and RestorePod from it (a new pod whose containers come back CREATED), and
 * the refusals around both. The checkpoint's files are the runtime's own, so
 * the cases only ever look at whether the directory is empty, and corrupt a
 * checkpoint by overwriting every file in it.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import {
  CheckpointPodRequestSchema,
  ContainerState,
  ContainerStatusRequestSchema,
  ListPodSandboxRequestSchema,
  PodSandboxState,
  PodSandboxStatusRequestSchema,
  RestorePodRequestSchema,
  StartContainerRequestSchema,
} from "../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../src/core/call-context.js";
import type { CaseKit, Fixture } from "./contract-fixture.js";
import { rejectsWithKind } from "./contract-fixture.js";

/** Register this file's cases with the runner. */
export function registerCheckpointCases({ test, open }: CaseKit): void {
  // The CRI asks callers of both RPCs to set a deadline.
  const ctx = () => createCallContext({ deadline: Date.now() + 30_000 });
  const dirs: string[] = [];
  const newDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "cri-contract-checkpoint-"));
    dirs.push(dir);
    return dir;
  };
  const removeDirs = async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  };

  // A ready pod with one running container "app", checkpointed into a fresh directory.
  const checkpointed = async (f: Fixture) => {
    const podId = await f.runPod("ckpt");
    const containerId = await f.createContainer(podId, "app");
    await f.core.startContainer(create(StartContainerRequestSchema, { containerId }), ctx());
    const dir = await newDir();
    await f.core.checkpointPod(create(CheckpointPodRequestSchema, { podSandboxId: podId, outputPath: dir, containerIds: [containerId] }), ctx());
    return { podId, containerId, dir };
  };

  test("pod checkpoint and restore", "checkpoints a running pod into its directory and restores it as a new pod with CREATED containers", async () => {
    const f = await open();
    try {
      const { podId, containerId, dir } = await checkpointed(f);
      assert.ok((await readdir(dir)).length > 0, "the checkpoint is in output_path");
      const after = await f.core.containerStatus(create(ContainerStatusRequestSchema, { containerId }), ctx());
      assert.equal(after.status?.state, ContainerState.CONTAINER_RUNNING, "the pod is not left paused");

      const restored = await f.core.restorePod(
        create(RestorePodRequestSchema, {
          checkpointPath: dir,
          config: f.podConfig("restored", { restored: "yes" }),
          containerConfigs: [f.containerConfig("app", { restored: "yes" })],
        }),
        ctx(),
      );
      f.track(restored.podSandboxId);
      assert.notEqual(restored.podSandboxId, podId);
      assert.deepEqual(restored.restoredContainers.map((c) => c.name), ["app"]);
      const restoredId = restored.restoredContainers[0]?.containerId ?? "";
      assert.notEqual(restoredId, "");
      const pod = await f.core.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId: restored.podSandboxId }), ctx());
      assert.equal(pod.status?.state, PodSandboxState.SANDBOX_READY);
      assert.equal(pod.status?.labels.restored, "yes", "the restore-time pod config applies");
      const created = await f.core.containerStatus(create(ContainerStatusRequestSchema, { containerId: restoredId }), ctx());
      assert.equal(created.status?.state, ContainerState.CONTAINER_CREATED);
      assert.equal(created.status?.labels.restored, "yes", "the restore-time container config applies");
      await f.core.startContainer(create(StartContainerRequestSchema, { containerId: restoredId }), ctx());
      const started = await f.core.containerStatus(create(ContainerStatusRequestSchema, { containerId: restoredId }), ctx());
      assert.equal(started.status?.state, ContainerState.CONTAINER_RUNNING, "the caller starts what was restored");
    } finally {
      await removeDirs();
    }
  });

  test("pod checkpoint refusals", "refuses an unknown pod, a missing or non-empty directory and a container that is not running", async () => {
    const f = await open();
    try {
      const podId = await f.runPod("refuse");
      const created = await f.createContainer(podId, "idle");
      const dir = await newDir();
      const checkpoint = (init: { podSandboxId?: string; outputPath?: string; containerIds?: string[] }) =>
        f.core.checkpointPod(create(CheckpointPodRequestSchema, { podSandboxId: podId, outputPath: dir, containerIds: [created], ...init }), ctx());
      await rejectsWithKind(checkpoint({ podSandboxId: "f".repeat(64) }), "not_found");
      await rejectsWithKind(checkpoint({}), "failed_precondition");
      assert.deepEqual(await readdir(dir), [], "a refused checkpoint leaves nothing behind");
      await f.core.startContainer(create(StartContainerRequestSchema, { containerId: created }), ctx());
      await rejectsWithKind(checkpoint({ outputPath: join(dir, "missing") }), "not_found");
      await rejectsWithKind(checkpoint({ containerIds: [created, created] }), "invalid_argument");
      await writeFile(join(dir, "someone-else"), "x");
      await rejectsWithKind(checkpoint({}), "failed_precondition");
    } finally {
      await removeDirs();
    }
  });

  test("pod restore refusals", "refuses a missing or corrupt checkpoint, other container names and pod metadata in use, leaving no pod behind", async () => {
    const f = await open();
    try {
      const { dir } = await checkpointed(f);
      const restore = (init: { checkpointPath?: string; podName?: string; names?: string[] }) =>
        f.core.restorePod(
          create(RestorePodRequestSchema, {
            checkpointPath: init.checkpointPath ?? dir,
            config: f.podConfig(init.podName ?? "again"),
            containerConfigs: (init.names ?? ["app"]).map((name) => f.containerConfig(name)),
          }),
          ctx(),
        );
      const ours = async () =>
        (await f.core.listPodSandbox(create(ListPodSandboxRequestSchema, { filter: { labelSelector: f.runLabel } }), ctx())).items.length;
      const before = await ours();

      await rejectsWithKind(restore({ checkpointPath: join(dir, "missing") }), "not_found");
      await rejectsWithKind(restore({ names: ["other"] }), "invalid_argument");
      await rejectsWithKind(restore({ names: ["app", "extra"] }), "invalid_argument");
      // The checkpointed pod itself still holds its metadata.
      await rejectsWithKind(restore({ podName: "ckpt" }), "already_exists");
      const corrupt = await newDir();
      for (const name of await readdir(dir)) await writeFile(join(corrupt, name), "not a checkpoint");
      await rejectsWithKind(restore({ checkpointPath: corrupt }), "invalid_argument");
      assert.equal(await ours(), before, "no refused restore leaves a pod behind");
    } finally {
      await removeDirs();
    }
  });
}
