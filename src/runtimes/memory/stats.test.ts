import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  ContainerStatsRequestSchema,
  CreateContainerRequestSchema,
  ListContainerStatsRequestSchema,
  ListMetricDescriptorsRequestSchema,
  ListPodSandboxMetricsRequestSchema,
  ListPodSandboxStatsRequestSchema,
  PodSandboxStatsRequestSchema,
  RunPodSandboxRequestSchema,
  StartContainerRequestSchema,
  StopContainerRequestSchema,
  StopPodSandboxRequestSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../core/call-context.js";
import { isCoreError } from "../../core/core-error.js";
import { createMemoryRuntime } from "./index.js";

const ctx = createCallContext();
const second = 1_000_000_000n;

async function setup() {
  let now = 1_700_000_000n * second;
  const clock = () => now;
  const advance = (seconds: number) => {
    now += BigInt(seconds) * second;
  };
  const core = createMemoryRuntime({ gatewayUrl: () => "http://gw", maxMessageBytes: 1 << 20, settings: {}, clock, images: ["nginx"] });
  const { podSandboxId } = await core.runPodSandbox(create(RunPodSandboxRequestSchema, { config: { metadata: { name: "p", namespace: "ns" } } }), ctx);
  const container = async (name: string, memoryLimitInBytes = 0n) =>
    (
      await core.createContainer(
        create(CreateContainerRequestSchema, {
          podSandboxId,
          config: { metadata: { name }, image: { image: "nginx" }, linux: { resources: { memoryLimitInBytes } } },
        }),
        ctx,
      )
    ).containerId;
  const running = await container("running");
  const idle = await container("idle");
  await core.startContainer(create(StartContainerRequestSchema, { containerId: running }), ctx);
  const stats = async (containerId: string) =>
    (await core.containerStats(create(ContainerStatsRequestSchema, { containerId }), ctx)).stats;
  return { core, podSandboxId, running, idle, container, stats, advance };
}

describe("stats of the memory runtime", () => {
  it("grows CPU time in proportion to running time", async () => {
    const { stats, running, advance } = await setup();
    advance(10);
    const a = (await stats(running))?.cpu?.usageCoreNanoSeconds?.value ?? 0n;
    advance(10);
    const b = (await stats(running))?.cpu?.usageCoreNanoSeconds?.value ?? 0n;
    assert.ok(a > 0n);
    assert.equal(b, 2n * a, "twice the time, twice the CPU");
  });

  it("grows memory and the writable layer while running", async () => {
    const { stats, running, advance } = await setup();
    advance(5);
    const a = await stats(running);
    advance(60);
    const b = await stats(running);
    assert.ok((b?.memory?.workingSetBytes?.value ?? 0n) > (a?.memory?.workingSetBytes?.value ?? 0n));
    assert.ok((b?.writableLayer?.usedBytes?.value ?? 0n) > (a?.writableLayer?.usedBytes?.value ?? 0n));
    assert.ok((b?.cpu?.timestamp ?? 0n) > (a?.cpu?.timestamp ?? 0n));
  });

  it("keeps the working set under the memory limit", async () => {
    const { core, container, stats, advance } = await setup();
    const limited = await container("limited", 4n * 1024n * 1024n);
    await core.startContainer(create(StartContainerRequestSchema, { containerId: limited }), ctx);
    advance(600);
    const s = await stats(limited);
    assert.ok((s?.memory?.workingSetBytes?.value ?? 0n) <= 4n * 1024n * 1024n);
    assert.ok(s?.memory?.availableBytes !== undefined);
  });

  it("reports only attributes and the writable layer once a container exits, as containerd does", async () => {
    const { core, stats, running, advance } = await setup();
    advance(10);
    await core.stopContainer(create(StopContainerRequestSchema, { containerId: running }), ctx);
    advance(100);
    const exited = await stats(running);
    assert.equal(exited?.attributes?.id, running);
    assert.equal(exited?.cpu, undefined);
    assert.equal(exited?.memory, undefined);
    assert.ok((exited?.writableLayer?.usedBytes?.value ?? 0n) > 4096n, "the layer keeps what was written");
  });

  it("lists stats of every matching container, with usage for the running ones", async () => {
    const { core, running, idle } = await setup();
    const listed = (await core.listContainerStats(create(ListContainerStatsRequestSchema), ctx)).stats;
    assert.deepEqual(listed.map((s) => s.attributes?.id).sort(), [running, idle].sort());
    assert.ok(listed.find((s) => s.attributes?.id === running)?.cpu !== undefined);
    assert.equal(listed.find((s) => s.attributes?.id === idle)?.cpu, undefined);
  });

  it("sums container usage into the pod and counts its processes", async () => {
    const { core, podSandboxId, advance } = await setup();
    advance(30);
    const pod = (await core.podSandboxStats(create(PodSandboxStatsRequestSchema, { podSandboxId }), ctx)).stats;
    assert.equal(pod?.linux?.containers.length, 1);
    assert.equal(pod?.linux?.process?.processCount?.value, 2n, "pause plus one running container");
    assert.ok((pod?.linux?.network?.defaultInterface?.rxBytes?.value ?? 0n) > 0n);
    const inner = pod?.linux?.containers[0]?.cpu?.usageCoreNanoSeconds?.value ?? 0n;
    assert.ok((pod?.linux?.cpu?.usageCoreNanoSeconds?.value ?? 0n) > inner);
  });

  it("refuses stats of a stopped sandbox and leaves it out of lists", async () => {
    const { core, podSandboxId } = await setup();
    await core.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId }), ctx);
    await assert.rejects(core.podSandboxStats(create(PodSandboxStatsRequestSchema, { podSandboxId }), ctx), (err: unknown) =>
      isCoreError(err, "failed_precondition"),
    );
    assert.deepEqual((await core.listPodSandboxStats(create(ListPodSandboxStatsRequestSchema), ctx)).stats, []);
  });

  it("reports only metrics it describes, with matching label counts", async () => {
    const { core, advance } = await setup();
    advance(10);
    const descriptors = (await core.listMetricDescriptors(create(ListMetricDescriptorsRequestSchema), ctx)).descriptors;
    const byName = new Map(descriptors.map((d) => [d.name, d]));
    const pods = (await core.listPodSandboxMetrics(create(ListPodSandboxMetricsRequestSchema), ctx)).podMetrics;
    assert.equal(pods.length, 1);
    const metrics = [...(pods[0]?.metrics ?? []), ...(pods[0]?.containerMetrics.flatMap((c) => c.metrics) ?? [])];
    assert.ok(metrics.length >= 6);
    for (const metric of metrics) {
      const descriptor = byName.get(metric.name);
      assert.ok(descriptor !== undefined, `${metric.name} is described`);
      assert.equal(metric.labelValues.length, descriptor.labelKeys.length);
    }
  });
});
