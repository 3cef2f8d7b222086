/**
 * Contract cases about images, the event stream, and the Stream* methods
 * answering with the same items as their List* twins.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import {
  ContainerEventType,
  GetEventsRequestSchema,
  ImageStatusRequestSchema,
  ListContainerStatsRequestSchema,
  ListContainersRequestSchema,
  ListImagesRequestSchema,
  ListPodSandboxMetricsRequestSchema,
  ListPodSandboxRequestSchema,
  ListPodSandboxStatsRequestSchema,
  PullImageRequestSchema,
  RemoveContainerRequestSchema,
  RemoveImageRequestSchema,
  StartContainerRequestSchema,
  StopContainerRequestSchema,
  StreamContainerStatsRequestSchema,
  StreamContainersRequestSchema,
  StreamImagesRequestSchema,
  StreamPodSandboxMetricsRequestSchema,
  StreamPodSandboxStatsRequestSchema,
  StreamPodSandboxesRequestSchema,
} from "../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../src/core/call-context.js";
import { type CaseKit } from "./contract-fixture.js";

/** Register this file's cases with the runner. */
export function registerCatalogCases({ test, open, image }: CaseKit): void {
  const ctx = createCallContext();

  test("images", "pulls, finds and removes images by tag, id and digest", async () => {
    const { core } = await open();
    const status = async (ref: string) =>
      (await core.imageStatus(create(ImageStatusRequestSchema, { image: { image: ref } }), ctx)).image;
    const pull = async () => (await core.pullImage(create(PullImageRequestSchema, { image: { image } }), ctx)).imageRef;

    let id = await pull();
    const pulled = await status(image);
    assert.equal(pulled?.id, id);
    assert.ok((pulled?.size ?? 0n) > 0n);
    assert.ok(pulled?.repoTags.some((t) => t.endsWith(image.replace(/^docker\.io\//, ""))), "the tag is listed");
    const digest = pulled?.repoDigests[0] as string;
    assert.match(digest, /@sha256:[0-9a-f]{64}$/);
    assert.equal((await status(id))?.id, id, "by id");
    assert.equal((await status(digest))?.id, id, "by repo digest");
    const listed = (await core.listImages(create(ListImagesRequestSchema), ctx)).images;
    assert.ok(listed.some((i) => i.id === id), "listed");

    await core.removeImage(create(RemoveImageRequestSchema, { image: { image } }), ctx);
    assert.equal(await status(image), undefined, "gone after removal by tag");
    assert.equal(await status(id), undefined);

    id = await pull();
    await core.removeImage(create(RemoveImageRequestSchema, { image: { image: id } }), ctx);
    assert.equal(await status(image), undefined, "gone after removal by id");

    id = await pull();
    await core.removeImage(create(RemoveImageRequestSchema, { image: { image: digest } }), ctx);
    assert.equal(await status(id), undefined, "gone after removal by digest");

    await core.removeImage(create(RemoveImageRequestSchema, { image: { image } }), ctx);
    assert.equal(await status(`registry.invalid/never-pulled:${randomBytes(4).toString("hex")}`), undefined);
    await pull();
  });

  test("events to two subscribers", "streams container lifecycle events to every subscriber", async () => {
    const f = await open();
    const controller = new AbortController();
    const eventsCtx = createCallContext({ signal: controller.signal });
    const subscribers = [0, 1].map(() =>
      f.core.getContainerEvents(create(GetEventsRequestSchema), eventsCtx)[Symbol.asyncIterator](),
    );
    const seen: Map<string, ContainerEventType[]>[] = [new Map(), new Map()];
    const readers = subscribers.map(async (iterator, i) => {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return;
        const list = seen[i]?.get(next.value.containerId) ?? [];
        list.push(next.value.containerEventType);
        seen[i]?.set(next.value.containerId, list);
      }
    });
    // A remote stream needs a moment to reach the upstream runtime.
    await delay(100);
    try {
      const podId = await f.runPod("events");
      const id = await f.createContainer(podId, "c");
      await f.core.startContainer(create(StartContainerRequestSchema, { containerId: id }), ctx);
      await f.core.stopContainer(create(StopContainerRequestSchema, { containerId: id, timeout: 1n }), ctx);
      await f.core.removeContainer(create(RemoveContainerRequestSchema, { containerId: id }), ctx);
      const want = [
        ContainerEventType.CONTAINER_CREATED_EVENT,
        ContainerEventType.CONTAINER_STARTED_EVENT,
        ContainerEventType.CONTAINER_STOPPED_EVENT,
        ContainerEventType.CONTAINER_DELETED_EVENT,
      ];
      for (let waited = 0; waited < 5000 && !seen.every((s) => (s.get(id)?.length ?? 0) >= want.length); waited += 20) {
        await delay(20);
      }
      for (const s of seen) assert.deepEqual(s.get(id), want);
    } finally {
      controller.abort();
      await Promise.all(readers);
    }
  });

  test("stream equals list", "answers every Stream* with the items of its List* twin", async () => {
    const f = await open();
    const { core } = f;
    const pods: string[] = [];
    for (let p = 0; p < 3; p++) {
      const podId = await f.runPod(`stream${p}`, { idx: String(p) });
      pods.push(podId);
      for (let c = 0; c < 4; c++) {
        const id = await f.createContainer(podId, `c${c}`, { idx: String(c) });
        if (c % 2 === 0) await core.startContainer(create(StartContainerRequestSchema, { containerId: id }), ctx);
      }
    }
    const labelSelector = f.runLabel;
    const collect = async <T>(stream: AsyncIterable<T>, pick: (chunk: T) => string[]) => {
      const out: string[] = [];
      for await (const chunk of stream) out.push(...pick(chunk));
      return out.sort();
    };
    const sorted = (ids: string[]) => [...ids].sort();

    const listedPods = (await core.listPodSandbox(create(ListPodSandboxRequestSchema, { filter: { labelSelector } }), ctx)).items.map((p) => p.id);
    const streamedPods = await collect(core.streamPodSandboxes(create(StreamPodSandboxesRequestSchema, { filter: { labelSelector } }), ctx), (r) =>
      r.podSandboxes.map((p) => p.id),
    );
    assert.equal(listedPods.length, 3);
    assert.deepEqual(streamedPods, sorted(listedPods), "StreamPodSandboxes");

    const listedContainers = (await core.listContainers(create(ListContainersRequestSchema, { filter: { labelSelector } }), ctx)).containers.map((c) => c.id);
    const streamedContainers = await collect(core.streamContainers(create(StreamContainersRequestSchema, { filter: { labelSelector } }), ctx), (r) =>
      r.containers.map((c) => c.id),
    );
    assert.equal(listedContainers.length, 12);
    assert.deepEqual(streamedContainers, sorted(listedContainers), "StreamContainers");

    const listedStats = (await core.listContainerStats(create(ListContainerStatsRequestSchema, { filter: { labelSelector } }), ctx)).stats.map(
      (s) => s.attributes?.id ?? "",
    );
    const streamedStats = await collect(core.streamContainerStats(create(StreamContainerStatsRequestSchema, { filter: { labelSelector } }), ctx), (r) =>
      r.containerStats.map((s) => s.attributes?.id ?? ""),
    );
    assert.equal(listedStats.length, 12, "stats of every matching container, running or not");
    assert.deepEqual(streamedStats, sorted(listedStats), "StreamContainerStats");

    const listedPodStats = (await core.listPodSandboxStats(create(ListPodSandboxStatsRequestSchema, { filter: { labelSelector } }), ctx)).stats.map(
      (s) => s.attributes?.id ?? "",
    );
    const streamedPodStats = await collect(core.streamPodSandboxStats(create(StreamPodSandboxStatsRequestSchema, { filter: { labelSelector } }), ctx), (r) =>
      r.podSandboxStats.map((s) => s.attributes?.id ?? ""),
    );
    assert.deepEqual(sorted(listedPodStats), sorted(pods));
    assert.deepEqual(streamedPodStats, sorted(listedPodStats), "StreamPodSandboxStats");

    const listedMetrics = (await core.listPodSandboxMetrics(create(ListPodSandboxMetricsRequestSchema), ctx)).podMetrics.map((m) => m.podSandboxId);
    const streamedMetrics = await collect(core.streamPodSandboxMetrics(create(StreamPodSandboxMetricsRequestSchema), ctx), (r) =>
      r.podSandboxMetrics.map((m) => m.podSandboxId),
    );
    assert.deepEqual(streamedMetrics, sorted(listedMetrics), "StreamPodSandboxMetrics");

    const listedImages = (await core.listImages(create(ListImagesRequestSchema), ctx)).images.map((i) => i.id);
    const streamedImages = await collect(core.streamImages(create(StreamImagesRequestSchema), ctx), (r) => r.images.map((i) => i.id));
    assert.ok(listedImages.length > 0);
    assert.deepEqual(streamedImages, sorted(listedImages), "StreamImages");
  });
}
