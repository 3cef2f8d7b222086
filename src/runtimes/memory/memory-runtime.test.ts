import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DescMessage, type Message, create, toBinary } from "@bufbuild/protobuf";
import {
  AttachRequestSchema,
  CgroupDriver,
  CheckpointContainerRequestSchema,
  type ContainerEventResponse,
  ContainerEventType,
  ContainerState,
  ContainerStatusRequestSchema,
  CreateContainerRequestSchema,
  ExecRequestSchema,
  GetEventsRequestSchema,
  NamespaceMode,
  PodSandboxStatusRequestSchema,
  RemovePodSandboxRequestSchema,
  RunPodSandboxRequestSchema,
  RuntimeConfigRequestSchema,
  Signal,
  StartContainerRequestSchema,
  StatusRequestSchema,
  StopContainerRequestSchema,
  StopPodSandboxRequestSchema,
  StreamContainersRequestSchema,
  StreamContainersResponseSchema,
  StreamContainerStatsRequestSchema,
  StreamContainerStatsResponseSchema,
  StreamImagesRequestSchema,
  StreamImagesResponseSchema,
  StreamPodSandboxMetricsRequestSchema,
  StreamPodSandboxMetricsResponseSchema,
  StreamPodSandboxStatsRequestSchema,
  StreamPodSandboxStatsResponseSchema,
  StreamPodSandboxesRequestSchema,
  StreamPodSandboxesResponseSchema,
  UpdatePodSandboxResourcesRequestSchema,
  UpdateRuntimeConfigRequestSchema,
  VersionRequestSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../core/call-context.js";
import { isCoreError } from "../../core/core-error.js";
import type { CoreOptions } from "../../core/registry.js";
import { type MemoryRuntimeOptions, createMemoryRuntime } from "./index.js";

const ctx = createCallContext();
const base: CoreOptions = { gatewayUrl: () => "http://gw.test:7070/", maxMessageBytes: 1 << 20, settings: {} };

async function setup(options: Partial<MemoryRuntimeOptions & CoreOptions> = {}) {
  const core = createMemoryRuntime({ ...base, images: ["busybox"], ...options });
  const pod = async (name: string, extra: Record<string, unknown> = {}) =>
    (await core.runPodSandbox(create(RunPodSandboxRequestSchema, { config: { metadata: { name, namespace: "ns", uid: name }, ...extra } }), ctx))
      .podSandboxId;
  const container = async (podSandboxId: string, name: string, extra: Record<string, unknown> = {}) =>
    (
      await core.createContainer(
        create(CreateContainerRequestSchema, { podSandboxId, config: { metadata: { name }, image: { image: "busybox" }, ...extra } }),
        ctx,
      )
    ).containerId;
  const start = (containerId: string) => core.startContainer(create(StartContainerRequestSchema, { containerId }), ctx);
  const status = async (containerId: string, verbose = false) =>
    await core.containerStatus(create(ContainerStatusRequestSchema, { containerId, verbose }), ctx);
  return { core, pod, container, start, status };
}

describe("memory runtime lifecycle", () => {
  const exits: { desc: string; how: "stop" | "stop-sigkill" | "sandbox-stop"; code: number; reason: string }[] = [
    { desc: "a StopContainer exits 0 with Completed", how: "stop", code: 0, reason: "Completed" },
    { desc: "a StopContainer with SIGKILL as stop signal exits 137", how: "stop-sigkill", code: 137, reason: "Error" },
    { desc: "a sandbox stop kills its containers with 137", how: "sandbox-stop", code: 137, reason: "Error" },
  ];
  for (const t of exits) {
    it(t.desc, async () => {
      const { core, pod, container, start, status } = await setup();
      const podId = await pod("p");
      const id = await container(podId, "c", t.how === "stop-sigkill" ? { stopSignal: Signal.SIGKILL } : {});
      await start(id);
      if (t.how === "sandbox-stop") await core.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId: podId }), ctx);
      else await core.stopContainer(create(StopContainerRequestSchema, { containerId: id, timeout: 10n }), ctx);
      const s = (await status(id)).status;
      assert.equal(s?.exitCode, t.code);
      assert.equal(s?.reason, t.reason);
    });
  }

  it("leaves a created container CREATED when its sandbox stops, as containerd does", async () => {
    const { core, pod, container, status } = await setup();
    const podId = await pod("p");
    const id = await container(podId, "c");
    await core.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId: podId }), ctx);
    assert.equal((await status(id)).status?.state, ContainerState.CONTAINER_CREATED);
  });

  it("simulates a container exiting on its own and one getting lost", async () => {
    const { core, pod, container, start, status } = await setup();
    const podId = await pod("p");
    const crashed = await container(podId, "crash");
    const lost = await container(podId, "lost");
    await start(crashed);
    await start(lost);
    core.simulate.exitContainer(crashed, { exitCode: 137, reason: "OOMKilled" });
    core.simulate.loseContainer(lost);
    assert.equal((await status(crashed)).status?.reason, "OOMKilled");
    assert.equal((await status(lost)).status?.state, ContainerState.CONTAINER_UNKNOWN);
    await core.stopContainer(create(StopContainerRequestSchema, { containerId: lost }), ctx);
    assert.equal((await status(lost)).status?.state, ContainerState.CONTAINER_EXITED);
    assert.throws(() => core.simulate.exitContainer(crashed), (err: unknown) => isCoreError(err, "failed_precondition"));
  });

  it("gives pods IPs from the pod CIDR and none to host-network pods", async () => {
    const { core, pod } = await setup();
    await core.updateRuntimeConfig(create(UpdateRuntimeConfigRequestSchema, { runtimeConfig: { networkConfig: { podCidr: "10.244.1.0/24" } } }), ctx);
    const a = await pod("a");
    const host = await pod("host", { linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } } });
    const ip = async (podSandboxId: string) =>
      (await core.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId }), ctx)).status?.network?.ip;
    assert.equal(await ip(a), "10.244.1.2");
    assert.equal(await ip(host), "");
    const verbose = await core.status(create(StatusRequestSchema, { verbose: true }), ctx);
    assert.equal(JSON.parse(verbose.info.podCIDR ?? "null"), "10.244.1.0/24");
    await assert.rejects(
      core.updateRuntimeConfig(create(UpdateRuntimeConfigRequestSchema, { runtimeConfig: { networkConfig: { podCidr: "10.1/99" } } }), ctx),
      (err: unknown) => isCoreError(err, "invalid_argument"),
    );
  });

  it("rejects an unknown runtime handler", async () => {
    const { core } = await setup();
    await assert.rejects(
      core.runPodSandbox(create(RunPodSandboxRequestSchema, { config: { metadata: { name: "p" } }, runtimeHandler: "kata" }), ctx),
      (err: unknown) => isCoreError(err, "invalid_argument"),
    );
    await core.runPodSandbox(create(RunPodSandboxRequestSchema, { config: { metadata: { name: "p" } }, runtimeHandler: "runc" }), ctx);
  });

  it("records checkpoints and sandbox resources in verbose info", async () => {
    const { core, pod, container, status } = await setup();
    const podId = await pod("p");
    const id = await container(podId, "c");
    await core.checkpointContainer(create(CheckpointContainerRequestSchema, { containerId: id, location: "/tmp/c.tar" }), ctx);
    assert.equal(JSON.parse((await status(id, true)).info.info ?? "{}").checkpoint, "/tmp/c.tar");
    await core.updatePodSandboxResources(
      create(UpdatePodSandboxResourcesRequestSchema, { podSandboxId: podId, resources: { memoryLimitInBytes: 1024n } }),
      ctx,
    );
    const info = (await core.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId: podId, verbose: true }), ctx)).info;
    assert.equal(JSON.parse(info.info ?? "{}").resources.memoryLimitInBytes, 1024);
  });

  it("reports version, systemd cgroups and readiness", async () => {
    const { core } = await setup();
    const version = await core.version(create(VersionRequestSchema), ctx);
    assert.deepEqual([version.runtimeName, version.version, version.runtimeApiVersion], ["cri-gateway-memory", "0.1.0", "v1"]);
    assert.equal((await core.runtimeConfig(create(RuntimeConfigRequestSchema), ctx)).linux?.cgroupDriver, CgroupDriver.SYSTEMD);
    assert.deepEqual(await core.health(), { ready: true });
  });
});

/** The next event, typed (an iterator's `value` is `any` once it may be done). */
async function nextEvent(events: AsyncIterator<ContainerEventResponse>): Promise<ContainerEventResponse> {
  const next = await events.next();
  assert.equal(next.done, false, "the stream is still open");
  return next.value as ContainerEventResponse;
}

describe("memory runtime events", () => {
  it("reports a sandbox as CREATED then STARTED on its own id, like containerd", async () => {
    const { core, pod } = await setup();
    const events = core.getContainerEvents(create(GetEventsRequestSchema), ctx)[Symbol.asyncIterator]();
    const podId = await pod("p");
    const first = await nextEvent(events);
    const second = await nextEvent(events);
    assert.deepEqual(
      [first.containerId, first.containerEventType, second.containerEventType],
      [podId, ContainerEventType.CONTAINER_CREATED_EVENT, ContainerEventType.CONTAINER_STARTED_EVENT],
    );
    assert.equal(first.podSandboxStatus?.id, podId);
  });

  it("carries the sandbox status and its containers' statuses", async () => {
    const { core, pod, container } = await setup();
    const podId = await pod("p");
    const events = core.getContainerEvents(create(GetEventsRequestSchema), ctx)[Symbol.asyncIterator]();
    const id = await container(podId, "c");
    const event = await nextEvent(events);
    assert.equal(event.containerId, id);
    assert.equal(event.podSandboxStatus?.id, podId);
    assert.deepEqual(event.containersStatuses.map((s) => s.id), [id]);
    await core.removePodSandbox(create(RemovePodSandboxRequestSchema, { podSandboxId: podId }), ctx);
    const types: ContainerEventType[] = [];
    let last = event;
    for (let i = 0; i < 3; i++) {
      last = await nextEvent(events);
      types.push(last.containerEventType);
    }
    assert.deepEqual(types, [
      ContainerEventType.CONTAINER_STOPPED_EVENT,
      ContainerEventType.CONTAINER_DELETED_EVENT,
      ContainerEventType.CONTAINER_DELETED_EVENT,
    ]);
    assert.equal(last.containerId, podId);
    assert.equal(last.podSandboxStatus, undefined, "a deleted sandbox has no status");
  });

  it("cuts off a subscriber that falls behind with resource_exhausted", async () => {
    const { core, pod } = await setup({ eventQueueCapacity: 3 });
    const events = core.getContainerEvents(create(GetEventsRequestSchema), ctx)[Symbol.asyncIterator]();
    await pod("a");
    await pod("b");
    for (let i = 0; i < 3; i++) await events.next();
    await assert.rejects(events.next(), (err: unknown) => isCoreError(err, "resource_exhausted"));
  });

  it("ends every event stream on close and reports not ready", async () => {
    const { core } = await setup();
    const events = core.getContainerEvents(create(GetEventsRequestSchema), ctx)[Symbol.asyncIterator]();
    const pending = events.next();
    await core.close();
    await core.close();
    assert.equal((await pending).done, true);
    assert.equal((await core.health()).ready, false);
  });
});

describe("memory runtime streaming sessions", () => {
  it("answers Exec with a single-use URL on the gateway", async () => {
    const { core, pod, container, start } = await setup();
    const id = await container(await pod("p"), "c");
    await start(id);
    const { url } = await core.exec(create(ExecRequestSchema, { containerId: id, cmd: ["sh"], stdout: true }), ctx);
    const match = /^http:\/\/gw\.test:7070\/stream\/exec\/([A-Za-z0-9_-]{22})$/.exec(url);
    assert.ok(match !== null, url);
    const session = core.takeStreamingSession(match[1] as string);
    assert.equal(session?.kind, "exec");
    assert.equal(core.takeStreamingSession(match[1] as string), undefined, "single use");
  });

  it("answers Exec with unavailable when the gateway has no TCP listener to put in a URL", async () => {
    const { core, pod, container, start } = await setup({ gatewayUrl: () => "" });
    const id = await container(await pod("p"), "c");
    await start(id);
    await assert.rejects(core.exec(create(ExecRequestSchema, { containerId: id, cmd: ["sh"], stdout: true }), ctx), (err: unknown) => {
      assert.ok(isCoreError(err, "unavailable"));
      assert.match((err as Error).message, /--listen none/);
      return true;
    });
  });

  it("forgets a session after its time to live", async () => {
    let now = 1_000_000_000_000_000_000n;
    const { core, pod, container, start } = await setup({ clock: () => now, streamingSessionTtlMs: 1000 });
    const id = await container(await pod("p"), "c");
    await start(id);
    const { url } = await core.attach(create(AttachRequestSchema, { containerId: id, stdout: true }), ctx);
    now += 2_000_000_000n;
    assert.equal(core.takeStreamingSession(url.split("/").pop() as string), undefined);
  });

  it("rejects tty together with stderr", async () => {
    const { core, pod, container, start } = await setup();
    const id = await container(await pod("p"), "c");
    await start(id);
    await assert.rejects(
      core.exec(create(ExecRequestSchema, { containerId: id, cmd: ["sh"], tty: true, stdout: true, stderr: true }), ctx),
      (err: unknown) => isCoreError(err, "invalid_argument"),
    );
  });
});

describe("memory runtime chunking", () => {
  it("keeps every StreamContainers chunk under the message limit, even with non-ASCII labels", async () => {
    const maxMessageBytes = 4096;
    const { core, pod, container } = await setup({ maxMessageBytes });
    const podId = await pod("p");
    for (let i = 0; i < 40; i++) await container(podId, `c${i}`, { labels: { "naïve/ключ": "значение".repeat(i % 5), i: String(i) } });
    const sizes: number[] = [];
    let total = 0;
    for await (const chunk of core.streamContainers(create(StreamContainersRequestSchema), ctx)) {
      sizes.push(toBinary(StreamContainersResponseSchema, chunk).length);
      total += chunk.containers.length;
    }
    assert.equal(total, 40);
    assert.ok(sizes.length > 1, "several chunks");
    for (const size of sizes) assert.ok(size <= maxMessageBytes, `a chunk of ${size} bytes`);
  });
  it("keeps the chunks of every Stream* method under the message limit", async () => {
    const maxMessageBytes = 4096;
    const { core, pod, container, start } = await setup({ maxMessageBytes, images: ["busybox", "nginx", "redis", "alpine"] });
    for (let p = 0; p < 6; p++) {
      const podId = await pod(`pod-${p}`, { labels: { "long-label": "v".repeat(200) } });
      for (let c = 0; c < 4; c++) await start(await container(podId, `c${c}`, { annotations: { note: "n".repeat(100) } }));
    }
    const streams: [string, AsyncIterable<Message>, DescMessage][] = [
      ["StreamPodSandboxes", core.streamPodSandboxes(create(StreamPodSandboxesRequestSchema), ctx), StreamPodSandboxesResponseSchema],
      ["StreamContainerStats", core.streamContainerStats(create(StreamContainerStatsRequestSchema), ctx), StreamContainerStatsResponseSchema],
      ["StreamPodSandboxStats", core.streamPodSandboxStats(create(StreamPodSandboxStatsRequestSchema), ctx), StreamPodSandboxStatsResponseSchema],
      ["StreamPodSandboxMetrics", core.streamPodSandboxMetrics(create(StreamPodSandboxMetricsRequestSchema), ctx), StreamPodSandboxMetricsResponseSchema],
      ["StreamImages", core.streamImages(create(StreamImagesRequestSchema), ctx), StreamImagesResponseSchema],
    ];
    for (const [name, stream, schema] of streams) {
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        const size = toBinary(schema, chunk).length;
        assert.ok(size <= maxMessageBytes, `${name}: a chunk of ${size} bytes`);
      }
      assert.ok(chunks > 0, `${name} sent something`);
    }
  });
});
