/**
 * Contract cases about the life of pod sandboxes and containers: identity
 * and readiness, the full story with states and timestamps, idempotent
 * stop/remove, cascades, name conflicts, preconditions, streaming URLs and
 * resource updates.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import {
  AttachRequestSchema,
  ContainerState,
  ContainerStatsRequestSchema,
  ContainerStatusRequestSchema,
  ExecRequestSchema,
  ExecSyncRequestSchema,
  ListContainersRequestSchema,
  PodSandboxState,
  PodSandboxStatusRequestSchema,
  PortForwardRequestSchema,
  RemoveContainerRequestSchema,
  RemovePodSandboxRequestSchema,
  ReopenContainerLogRequestSchema,
  RunPodSandboxRequestSchema,
  StartContainerRequestSchema,
  StatusRequestSchema,
  StopContainerRequestSchema,
  StopPodSandboxRequestSchema,
  UpdateContainerResourcesRequestSchema,
  VersionRequestSchema,
} from "../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../src/core/call-context.js";
import { type CaseKit, rejectsWithKind } from "./contract-fixture.js";

/** Register this file's cases with the runner. */
export function registerLifecycleCases({ test, open }: CaseKit): void {
  const ctx = createCallContext();

  test("version", "reports its name and CRI API v1", async () => {
    const { core } = await open();
    const version = await core.version(create(VersionRequestSchema, { version: "0.1.0" }), ctx);
    assert.equal(version.runtimeApiVersion, "v1");
    assert.notEqual(version.runtimeName, "");
    assert.notEqual(version.runtimeVersion, "");
  });

  test("status", "reports RuntimeReady and NetworkReady", async () => {
    const { core } = await open();
    const status = await core.status(create(StatusRequestSchema), ctx);
    for (const type of ["RuntimeReady", "NetworkReady"]) {
      assert.equal(status.status?.conditions.find((c) => c.type === type)?.status, true, `${type} is true`);
    }
  });

  test("lifecycle", "walks pod → container → start → exec → stats → stop → remove with states and timestamps", async () => {
    const f = await open();
    const { core } = f;
    const podId = await f.runPod("story");
    const pod = await core.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId: podId }), ctx);
    assert.equal(pod.status?.state, PodSandboxState.SANDBOX_READY);
    assert.ok((pod.status?.createdAt ?? 0n) > 0n);

    const id = await f.createContainer(podId, "app");
    let status = (await core.containerStatus(create(ContainerStatusRequestSchema, { containerId: id }), ctx)).status;
    assert.equal(status?.state, ContainerState.CONTAINER_CREATED);
    const createdAt = status?.createdAt ?? 0n;
    assert.ok(createdAt > 0n);
    assert.equal(status?.startedAt, 0n);
    assert.equal(status?.finishedAt, 0n);

    await core.startContainer(create(StartContainerRequestSchema, { containerId: id }), ctx);
    status = (await core.containerStatus(create(ContainerStatusRequestSchema, { containerId: id }), ctx)).status;
    assert.equal(status?.state, ContainerState.CONTAINER_RUNNING);
    const startedAt = status?.startedAt ?? 0n;
    assert.ok(startedAt >= createdAt, "started_at >= created_at");

    const exec = await core.execSync(create(ExecSyncRequestSchema, { containerId: id, cmd: ["echo", "hello", "world"], timeout: 10n }), ctx);
    assert.equal(exec.exitCode, 0);
    assert.equal(new TextDecoder().decode(exec.stdout), "hello world\n");

    const stats = await core.containerStats(create(ContainerStatsRequestSchema, { containerId: id }), ctx);
    assert.equal(stats.stats?.attributes?.id, id);

    await core.stopContainer(create(StopContainerRequestSchema, { containerId: id, timeout: 1n }), ctx);
    status = (await core.containerStatus(create(ContainerStatusRequestSchema, { containerId: id }), ctx)).status;
    assert.equal(status?.state, ContainerState.CONTAINER_EXITED);
    assert.equal(status?.startedAt, startedAt, "started_at is kept");
    assert.ok((status?.finishedAt ?? 0n) >= startedAt, "finished_at >= started_at");

    await core.removeContainer(create(RemoveContainerRequestSchema, { containerId: id }), ctx);
    await rejectsWithKind(core.containerStatus(create(ContainerStatusRequestSchema, { containerId: id }), ctx), "not_found");

    await core.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId: podId }), ctx);
    const stopped = await core.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId: podId }), ctx);
    assert.equal(stopped.status?.state, PodSandboxState.SANDBOX_NOTREADY);
    await core.removePodSandbox(create(RemovePodSandboxRequestSchema, { podSandboxId: podId }), ctx);
    await rejectsWithKind(core.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId: podId }), ctx), "not_found");
  });

  test("idempotent stop and remove", "stops and removes unknown or already removed things without error", async () => {
    const f = await open();
    const { core } = f;
    const unknown = randomBytes(32).toString("hex");
    await core.stopContainer(create(StopContainerRequestSchema, { containerId: unknown }), ctx);
    await core.removeContainer(create(RemoveContainerRequestSchema, { containerId: unknown }), ctx);
    await core.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId: unknown }), ctx);
    await core.removePodSandbox(create(RemovePodSandboxRequestSchema, { podSandboxId: unknown }), ctx);

    const podId = await f.runPod("twice");
    const id = await f.createContainer(podId, "c");
    await core.startContainer(create(StartContainerRequestSchema, { containerId: id }), ctx);
    for (let i = 0; i < 2; i++) await core.stopContainer(create(StopContainerRequestSchema, { containerId: id, timeout: 1n }), ctx);
    for (let i = 0; i < 2; i++) await core.removeContainer(create(RemoveContainerRequestSchema, { containerId: id }), ctx);
    for (let i = 0; i < 2; i++) await core.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId: podId }), ctx);
    for (let i = 0; i < 2; i++) await core.removePodSandbox(create(RemovePodSandboxRequestSchema, { podSandboxId: podId }), ctx);
  });

  test("sandbox stop cascade", "stops the sandbox's running containers when the sandbox stops", async () => {
    const f = await open();
    const podId = await f.runPod("cascade-stop");
    const id = await f.createContainer(podId, "c");
    await f.core.startContainer(create(StartContainerRequestSchema, { containerId: id }), ctx);
    await f.core.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId: podId }), ctx);
    const status = await f.core.containerStatus(create(ContainerStatusRequestSchema, { containerId: id }), ctx);
    assert.equal(status.status?.state, ContainerState.CONTAINER_EXITED);
    assert.ok((status.status?.finishedAt ?? 0n) > 0n);
  });

  test("sandbox remove cascade", "removes the sandbox's containers, running ones included", async () => {
    const f = await open();
    const podId = await f.runPod("cascade-remove");
    const running = await f.createContainer(podId, "running");
    const created = await f.createContainer(podId, "created");
    await f.core.startContainer(create(StartContainerRequestSchema, { containerId: running }), ctx);
    await f.core.removePodSandbox(create(RemovePodSandboxRequestSchema, { podSandboxId: podId }), ctx);
    for (const id of [running, created]) {
      await rejectsWithKind(f.core.containerStatus(create(ContainerStatusRequestSchema, { containerId: id }), ctx), "not_found");
    }
    const left = await f.core.listContainers(create(ListContainersRequestSchema, { filter: { podSandboxId: podId } }), ctx);
    assert.deepEqual(left.containers, []);
  });

  test("sandbox name conflict", "rejects a second sandbox with the same metadata with already_exists", async () => {
    const f = await open();
    const config = f.podConfig("same");
    const first = await f.core.runPodSandbox(create(RunPodSandboxRequestSchema, { config }), ctx);
    f.track(first.podSandboxId);
    await rejectsWithKind(f.core.runPodSandbox(create(RunPodSandboxRequestSchema, { config }), ctx), "already_exists");
    // A new attempt is a new name.
    const retry = await f.core.runPodSandbox(
      create(RunPodSandboxRequestSchema, { config: { ...config, metadata: { ...config.metadata, attempt: 1 } } }),
      ctx,
    );
    f.track(retry.podSandboxId);
    assert.notEqual(retry.podSandboxId, first.podSandboxId);
  });

  test("container name conflict", "rejects a second container with the same name and attempt in a sandbox", async () => {
    const f = await open();
    const podId = await f.runPod("names");
    await f.createContainer(podId, "dup");
    await rejectsWithKind(f.createContainer(podId, "dup"), "already_exists");
    await f.createContainer(podId, "dup", {}, 1);
    const other = await f.runPod("names-other");
    await f.createContainer(other, "dup");
  });

  test("create container preconditions", "needs a known, ready sandbox and a present image", async () => {
    const f = await open();
    const unknownPod = randomBytes(32).toString("hex");
    await rejectsWithKind(f.createContainer(unknownPod, "c"), "not_found");
    const podId = await f.runPod("pre");
    await rejectsWithKind(f.createContainer(podId, "c", {}, 0, `registry.invalid/not-pulled-${f.suffix}:v1`), "not_found");
    await f.core.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId: podId }), ctx);
    await rejectsWithKind(f.createContainer(podId, "c"), "failed_precondition");
  });

  test("start precondition", "refuses to start a running or exited container", async () => {
    const f = await open();
    const podId = await f.runPod("start");
    const id = await f.createContainer(podId, "c");
    await f.core.startContainer(create(StartContainerRequestSchema, { containerId: id }), ctx);
    await rejectsWithKind(f.core.startContainer(create(StartContainerRequestSchema, { containerId: id }), ctx), "failed_precondition");
    await f.core.stopContainer(create(StopContainerRequestSchema, { containerId: id, timeout: 1n }), ctx);
    await rejectsWithKind(f.core.startContainer(create(StartContainerRequestSchema, { containerId: id }), ctx), "failed_precondition");
  });

  test("exec preconditions", "needs a running container for exec sync and log reopen", async () => {
    const f = await open();
    const podId = await f.runPod("exec");
    const id = await f.createContainer(podId, "c");
    await rejectsWithKind(
      f.core.execSync(create(ExecSyncRequestSchema, { containerId: id, cmd: ["echo", "x"] }), ctx),
      "failed_precondition",
    );
    await rejectsWithKind(f.core.reopenContainerLog(create(ReopenContainerLogRequestSchema, { containerId: id }), ctx), "failed_precondition");
  });

  test("streaming urls", "answers Exec, Attach and PortForward with URLs and checks their stdio", async () => {
    const f = await open();
    const podId = await f.runPod("streams");
    const id = await f.createContainer(podId, "c");
    await f.core.startContainer(create(StartContainerRequestSchema, { containerId: id }), ctx);
    const exec = await f.core.exec(create(ExecRequestSchema, { containerId: id, cmd: ["sh"], stdin: true, stdout: true }), ctx);
    assert.match(exec.url, /^https?:\/\//);
    const attach = await f.core.attach(create(AttachRequestSchema, { containerId: id, stdout: true }), ctx);
    assert.match(attach.url, /^https?:\/\//);
    assert.notEqual(attach.url, exec.url, "each session has its own URL");
    const forward = await f.core.portForward(create(PortForwardRequestSchema, { podSandboxId: podId, port: [8080] }), ctx);
    assert.match(forward.url, /^https?:\/\//);
    await rejectsWithKind(
      f.core.exec(create(ExecRequestSchema, { containerId: id, cmd: ["sh"], stdin: false, stdout: false, stderr: false }), ctx),
      "invalid_argument",
    );
  });

  test("update container resources", "shows updated limits in the container status", async () => {
    const f = await open();
    const podId = await f.runPod("resources");
    const id = await f.createContainer(podId, "c");
    await f.core.startContainer(create(StartContainerRequestSchema, { containerId: id }), ctx);
    const limit = 256n * 1024n * 1024n;
    await f.core.updateContainerResources(
      create(UpdateContainerResourcesRequestSchema, { containerId: id, linux: { memoryLimitInBytes: limit, cpuShares: 512n } }),
      ctx,
    );
    const status = await f.core.containerStatus(create(ContainerStatusRequestSchema, { containerId: id }), ctx);
    assert.equal(status.status?.resources?.linux?.memoryLimitInBytes, limit);
    assert.equal(status.status?.resources?.linux?.cpuShares, 512n);
  });
}
