/**
 * The remote core's fallbacks for old runtimes, against a real gateway whose
 * memory runtime answers `unimplemented` for the six Stream* methods and
 * GetContainerEvents, as containerd 1.6 does: Stream* served from the List*
 * twin in chunks under the message limit, remembered per endpoint; events
 * synthesized by polling.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type DescMessage, type Message, create, toBinary } from "@bufbuild/protobuf";
import {
  type ContainerEventResponse,
  ContainerEventType,
  ContainerSchema,
  GetEventsRequestSchema,
  ListContainerStatsRequestSchema,
  ListContainersRequestSchema,
  ListImagesRequestSchema,
  ListPodSandboxMetricsRequestSchema,
  ListPodSandboxRequestSchema,
  ListPodSandboxStatsRequestSchema,
  RemoveContainerRequestSchema,
  StartContainerRequestSchema,
  StopContainerRequestSchema,
  StreamContainerStatsRequestSchema,
  StreamContainerStatsResponseSchema,
  StreamContainersRequestSchema,
  StreamContainersResponseSchema,
  StreamImagesRequestSchema,
  StreamImagesResponseSchema,
  StreamPodSandboxMetricsRequestSchema,
  StreamPodSandboxStatsRequestSchema,
  StreamPodSandboxesRequestSchema,
} from "../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../src/core/call-context.js";
import { CoreError } from "../../src/core/core-error.js";
import type { CoreInterceptor } from "../../src/core/intercept.js";
import type { RuntimeCore } from "../../src/core/runtime-core.js";
import { startGateway } from "../../src/gateway.js";
import { type MethodName, createMemoryRuntime } from "../../src/runtimes/memory/index.js";
import { withFallbacks } from "../../src/runtimes/remote/fallbacks.js";
import { createRemoteRuntime } from "../../src/runtimes/remote/index.js";
import { makeTempDir } from "../helpers/start-gateway.js";
import { createFixture } from "./contract-fixture.js";

const busybox = "docker.io/library/busybox:1.36";
const lacking: MethodName[] = [
  "streamPodSandboxes",
  "streamContainers",
  "streamContainerStats",
  "streamPodSandboxStats",
  "streamPodSandboxMetrics",
  "streamImages",
  "getContainerEvents",
];
const unimplemented = new CoreError("unimplemented", "method not implemented by this runtime");

const temp = await makeTempDir();
const socket = join(temp.dir, "old-runtime.sock");
/** Calls the upstream saw, by method. */
const upstreamCalls = new Map<string, number>();
const countCalls: CoreInterceptor = {
  unary(call, next) {
    upstreamCalls.set(call.method.localName, (upstreamCalls.get(call.method.localName) ?? 0) + 1);
    return next(call);
  },
  stream(call, next) {
    upstreamCalls.set(call.method.localName, (upstreamCalls.get(call.method.localName) ?? 0) + 1);
    return next(call);
  },
};
const upstream = await startGateway({
  socket,
  graceMs: 200,
  interceptors: [countCalls],
  core: createMemoryRuntime({
    gatewayUrl: () => "http://127.0.0.1:1",
    maxMessageBytes: 16 << 20,
    settings: {},
    faults: Object.fromEntries(lacking.map((m) => [m, unimplemented])),
    images: Array.from({ length: 60 }, (_, i) => `registry.example/fallback/image-${i}:1.0`),
  }),
});

const cores: RuntimeCore[] = [];
/** A remote core with 4 KiB messages to clients, reading up to 1 MiB from the upstream. */
const remoteCore = (settings: Record<string, string> = {}): RuntimeCore => {
  const core = createRemoteRuntime({
    gatewayUrl: () => "http://127.0.0.1:1",
    maxMessageBytes: 4096,
    settings: { upstream: `unix://${socket}`, "upstream-max-message-bytes": String(1 << 20), ...settings },
  });
  cores.push(core);
  return core;
};
after(async () => {
  for (const core of cores) await core.close();
  await upstream.close();
  await temp.remove();
});

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

/** Every chunk encodes under `limit` bytes. */
function assertUnder<Desc extends DescMessage>(schema: Desc, chunks: Message[], limit: number): void {
  for (const chunk of chunks) {
    const size = toBinary(schema, chunk as never).byteLength;
    assert.ok(size <= limit, `a chunk of ${size} bytes exceeds ${limit}`);
  }
}

describe("remote core fallbacks for an old runtime", () => {
  const ctx = createCallContext();
  const core = remoteCore();
  const fixture = createFixture(core, busybox);
  after(() => fixture.cleanup().catch(() => {}));

  it("serves each Stream* from its List* twin, chunked under maxMessageBytes", async () => {
    const pod = await fixture.runPod("many");
    for (let i = 0; i < 30; i++) {
      const id = await fixture.createContainer(pod, `c${i}`);
      if (i % 2 === 0) await core.startContainer(create(StartContainerRequestSchema, { containerId: id }), ctx);
    }
    const filter = { labelSelector: fixture.runLabel };

    const containerChunks = await collect(core.streamContainers(create(StreamContainersRequestSchema, { filter }), ctx));
    const listed = (await core.listContainers(create(ListContainersRequestSchema, { filter }), ctx)).containers;
    assert.equal(listed.length, 30);
    assert.ok(listed.reduce((n, c) => n + toBinary(ContainerSchema, c).byteLength, 0) > 4096, "the list needs chunks");
    assert.ok(containerChunks.length > 1, `${containerChunks.length} chunk(s)`);
    assertUnder(StreamContainersResponseSchema, containerChunks, 4096);
    assert.deepEqual(containerChunks.flatMap((r) => r.containers.map((c) => c.id)), listed.map((c) => c.id));

    const imageChunks = await collect(core.streamImages(create(StreamImagesRequestSchema, {}), ctx));
    assert.ok(imageChunks.length > 1, `${imageChunks.length} chunk(s)`);
    assertUnder(StreamImagesResponseSchema, imageChunks, 4096);
    assert.deepEqual(
      imageChunks.flatMap((r) => r.images.map((i) => i.id)),
      (await core.listImages(create(ListImagesRequestSchema, {}), ctx)).images.map((i) => i.id),
    );

    const pods = await collect(core.streamPodSandboxes(create(StreamPodSandboxesRequestSchema, { filter }), ctx));
    assert.deepEqual(
      pods.flatMap((r) => r.podSandboxes.map((p) => p.id)),
      (await core.listPodSandbox(create(ListPodSandboxRequestSchema, { filter }), ctx)).items.map((p) => p.id),
    );
    assert.deepEqual(pods.flatMap((r) => r.podSandboxes.map((p) => p.id)), [pod]);

    const statsChunks = await collect(core.streamContainerStats(create(StreamContainerStatsRequestSchema, { filter }), ctx));
    assertUnder(StreamContainerStatsResponseSchema, statsChunks, 4096);
    assert.deepEqual(
      statsChunks.flatMap((r) => r.containerStats.map((s) => s.attributes?.id)),
      (await core.listContainerStats(create(ListContainerStatsRequestSchema, { filter }), ctx)).stats.map((s) => s.attributes?.id),
    );

    const podFilter = { id: pod };
    const podStats = await collect(core.streamPodSandboxStats(create(StreamPodSandboxStatsRequestSchema, { filter: podFilter }), ctx));
    assert.deepEqual(
      podStats.flatMap((r) => r.podSandboxStats.map((s) => s.attributes?.id)),
      (await core.listPodSandboxStats(create(ListPodSandboxStatsRequestSchema, { filter: podFilter }), ctx)).stats.map(
        (s) => s.attributes?.id,
      ),
    );

    const metrics = await collect(core.streamPodSandboxMetrics(create(StreamPodSandboxMetricsRequestSchema, {}), ctx));
    assert.deepEqual(
      metrics.flatMap((r) => r.podSandboxMetrics.map((m) => m.podSandboxId)),
      (await core.listPodSandboxMetrics(create(ListPodSandboxMetricsRequestSchema, {}), ctx)).podMetrics.map((m) => m.podSandboxId),
    );
  });

  it("remembers that the upstream lacks a Stream* method", async () => {
    const fresh = remoteCore();
    const before = upstreamCalls.get("streamContainers") ?? 0;
    const listBefore = upstreamCalls.get("listContainers") ?? 0;
    await collect(fresh.streamContainers(create(StreamContainersRequestSchema, {}), ctx));
    await collect(fresh.streamContainers(create(StreamContainersRequestSchema, {}), ctx));
    assert.equal((upstreamCalls.get("streamContainers") ?? 0) - before, 1, "Stream* asked upstream once");
    assert.equal((upstreamCalls.get("listContainers") ?? 0) - listBefore, 2, "List* served both calls");
  });

  it("synthesizes CREATED, STARTED, STOPPED, DELETED by polling, and ends on abort", async () => {
    const events = remoteCore({ "events-poll-ms": "50" });
    const abort = new AbortController();
    const seen: ContainerEventResponse[] = [];
    const listsBefore = upstreamCalls.get("listContainers") ?? 0;
    const reading = (async () => {
      for await (const event of events.getContainerEvents(create(GetEventsRequestSchema, {}), createCallContext({ signal: abort.signal }))) {
        seen.push(event);
      }
    })();
    // Wait for the baseline poll, so the container below is new to it.
    const deadline = Date.now() + 5000;
    while ((upstreamCalls.get("listContainers") ?? 0) === listsBefore && Date.now() < deadline) await sleep(10);
    await sleep(20);

    const pod = await fixture.runPod("events");
    const id = await fixture.createContainer(pod, "watched");
    await sleep(150);
    await core.startContainer(create(StartContainerRequestSchema, { containerId: id }), ctx);
    await sleep(150);
    await core.stopContainer(create(StopContainerRequestSchema, { containerId: id, timeout: 0n }), ctx);
    await sleep(150);
    await core.removeContainer(create(RemoveContainerRequestSchema, { containerId: id }), ctx);

    const wanted = [
      ContainerEventType.CONTAINER_CREATED_EVENT,
      ContainerEventType.CONTAINER_STARTED_EVENT,
      ContainerEventType.CONTAINER_STOPPED_EVENT,
      ContainerEventType.CONTAINER_DELETED_EVENT,
    ];
    const mine = () => seen.filter((e) => e.containerId === id);
    while (mine().length < wanted.length && Date.now() < deadline) await sleep(20);
    assert.deepEqual(
      mine().map((e) => ContainerEventType[e.containerEventType]),
      wanted.map((t) => ContainerEventType[t]),
    );
    const created = mine()[0];
    assert.ok(created !== undefined && created.createdAt > 0n);
    assert.equal(created.containersStatuses[0]?.id, id, "CREATED carries the container's status");
    // The sandbox got its own CREATED and STARTED on its id.
    assert.deepEqual(
      seen.filter((e) => e.containerId === pod).map((e) => ContainerEventType[e.containerEventType]).slice(0, 2),
      ["CONTAINER_CREATED_EVENT", "CONTAINER_STARTED_EVENT"],
    );

    const aborted = Date.now();
    abort.abort();
    await reading;
    assert.ok(Date.now() - aborted < 1000, "the stream ended promptly on abort");
  });
});

describe("Stream* fallback after items were streamed", () => {
  it("passes a late unimplemented on instead of duplicating items from List*", async () => {
    let listed = 0;
    const fake = {
      streamContainers: async function* () {
        yield create(StreamContainersResponseSchema, { containers: [{ id: "a" }] });
        throw unimplemented;
      },
      listContainers: async () => {
        listed++;
        return { containers: [] };
      },
    } as unknown as RuntimeCore;
    const core = withFallbacks(fake, {
      runtimeEndpoint: "unix:///x.sock",
      imageEndpoint: "unix:///x.sock",
      maxMessageBytes: 4096,
      eventsPollMs: 1000,
    });
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const r of core.streamContainers(create(StreamContainersRequestSchema, {}), createCallContext())) {
          got.push(...r.containers.map((c) => c.id));
        }
      })(),
      (err: unknown) => err === unimplemented,
    );
    assert.deepEqual(got, ["a"]);
    assert.equal(listed, 0);
  });
});
