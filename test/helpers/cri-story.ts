/**
 * The CRI story every end-to-end client combination runs: all 43 methods of
 * RuntimeService and ImageService in the order a kubelet would use them, each
 * with assertions on what it answered, ending with a check that no method was
 * skipped. Protocol-neutral: it only sees {@link CriClients}.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import {
  CgroupDriver,
  type ContainerEventResponse,
  ContainerEventType,
  ContainerState,
  MetricType,
  PodSandboxState,
} from "../../gen/runtime/v1/api_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerConfigSchema } from "../../gen/runtime/v1/api_pb.js";
import { allMethodNames, type CriClients } from "./cri-clients.js";
import { collect, rejectsWithCode } from "./expect-code.js";
import { waitFor } from "./wait-for.js";

/** What the story needs to know besides the clients. */
export interface CriStoryOptions {
  /** The gateway's TCP base URL; Exec/Attach/PortForward URLs must point at it. */
  readonly gatewayUrl: string;
  /** Unique per run: names, uids, labels and the image tag carry it, so runs never collide. */
  readonly suffix: string;
}

const mib = 1024n * 1024n;
const podCidr = "10.123.0.0/16";

/** What the phases of one story share. */
interface Story extends CriStoryOptions {
  readonly clients: CriClients;
  readonly runLabel: Record<string, string>;
  readonly imageRef: string;
}

/**
 * Run the story. It assumes a gateway whose memory runtime no other client
 * changes meanwhile (it checks the pod CIDR it sets and the number of event
 * subscribers), so give each run its own gateway or run them one at a time.
 */
export async function runCriStory(clients: CriClients, options: CriStoryOptions): Promise<void> {
  const story: Story = {
    ...options,
    clients,
    runLabel: { "e2e.cri-gateway/run": options.suffix },
    imageRef: `docker.io/library/busybox:e2e-${options.suffix}`,
  };
  await checkRuntimeInfo(story);
  const imageId = await pullImage(story);

  // GetContainerEvents: subscribe before anything is created.
  const subscribersBefore = await subscriberCount(clients);
  const events = subscribeToEvents(clients);
  try {
    await waitFor("the event subscription to reach the gateway", async () => (await subscriberCount(clients)) > subscribersBefore);
    const podId = await runPod(story);
    const containerId = await createAndStartContainer(story, podId, imageId);
    await execAndStreamingUrls(story, podId, containerId);
    await statsAndMetrics(story, podId, containerId);
    await updateContainer(story, containerId);
    await checkpointAndRestorePod(story, podId, containerId);
    // RemoveImage refuses an image in use.
    await rejectsWithCode(clients.image.removeImage({ image: { image: story.imageRef } }), Code.FailedPrecondition, /in use/);
    await stopAndRemove(story, podId, containerId);
    await checkEvents(events, podId, containerId);
  } finally {
    // A failure above must not leave the stream open; its own error surfaces below.
    await events.end().catch(() => {});
  }
  await events.end();

  // RemoveImage, once unused; then it is gone.
  await clients.image.removeImage({ image: { image: story.imageRef } });
  const gone = await clients.image.imageStatus({ image: { image: story.imageRef } });
  assert.equal(gone.image, undefined, "image status is empty after removal");
  assert.ok(!(await clients.image.listImages({})).images.some((i) => i.id === imageId));

  const skipped = allMethodNames.filter((name) => !clients.called.has(name));
  assert.deepEqual(skipped, [], "every CRI method was called");
}

/** Version, Status, RuntimeConfig, UpdateRuntimeConfig (seen in verbose Status), ImageFsInfo. */
async function checkRuntimeInfo({ clients: { runtime, image } }: Story): Promise<void> {
  const version = await runtime.version({ version: "v1" });
  assert.equal(version.runtimeName, "cri-gateway-memory");
  assert.equal(version.runtimeApiVersion, "v1");
  assert.equal(version.version, "0.1.0");
  assert.match(version.runtimeVersion, /^\d+\.\d+\.\d+/);

  const status = await runtime.status({});
  for (const type of ["RuntimeReady", "NetworkReady"]) {
    assert.equal(status.status?.conditions.find((c) => c.type === type)?.status, true, `${type} is true`);
  }
  assert.deepEqual(status.info, {}, "no info unless verbose");
  assert.ok(status.runtimeHandlers.some((h) => h.name === "runc"), "runc handler listed");

  const config = await runtime.runtimeConfig({});
  assert.equal(config.linux?.cgroupDriver, CgroupDriver.SYSTEMD);

  await runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr } } });
  const verbose = await runtime.status({ verbose: true });
  assert.equal(JSON.parse(verbose.info.podCIDR ?? "null"), podCidr);
  assert.equal((JSON.parse(verbose.info.config ?? "{}") as { podCIDR?: string }).podCIDR, podCidr);

  const fsInfo = await image.imageFsInfo({});
  assert.equal(fsInfo.imageFilesystems.length, 1);
  assert.notEqual(fsInfo.imageFilesystems[0]?.fsId?.mountpoint ?? "", "");
  assert.ok((fsInfo.imageFilesystems[0]?.usedBytes?.value ?? 0n) > 0n, "image fs has bytes in use");
}

/** PullImage, ImageStatus by tag and by id, ListImages (plain and filtered), StreamImages. Returns the image id. */
async function pullImage({ clients: { image }, imageRef }: Story): Promise<string> {
  const { imageRef: imageId } = await image.pullImage({ image: { image: imageRef } });
  assert.match(imageId, /^sha256:[0-9a-f]{64}$/);
  const byTag = await image.imageStatus({ image: { image: imageRef } });
  assert.equal(byTag.image?.id, imageId);
  assert.ok(byTag.image?.repoTags.includes(imageRef), `repo tags ${byTag.image?.repoTags} include ${imageRef}`);
  const byId = await image.imageStatus({ image: { image: imageId }, verbose: true });
  assert.equal(byId.image?.id, imageId);
  assert.equal((JSON.parse(byId.info.info ?? "{}") as { users?: number }).users, 0);
  const listed = await image.listImages({});
  assert.ok(listed.images.some((i) => i.id === imageId), "list images contains the pulled image");
  const streamed = (await collect(image.streamImages({}))).flatMap((r) => r.images);
  assert.deepEqual(sortById(streamed), sortById(listed.images), "stream images = list images");
  const filtered = await image.listImages({ filter: { image: { image: imageRef } } });
  assert.deepEqual(filtered.images.map((i) => i.id), [imageId]);
  return imageId;
}

/** RunPodSandbox, PodSandboxStatus, ListPodSandbox by id, label and state, StreamPodSandboxes. */
async function runPod({ clients: { runtime }, suffix, runLabel }: Story): Promise<string> {
  const labels = { ...runLabel, tier: "web" };
  const { podSandboxId: podId } = await runtime.runPodSandbox({
    config: {
      metadata: { name: `story-${suffix}`, namespace: "e2e", uid: `uid-${suffix}`, attempt: 0 },
      hostname: `story-${suffix}`,
      labels,
      linux: {},
    },
  });
  assert.match(podId, /^[0-9a-f]{64}$/);
  const pod = await runtime.podSandboxStatus({ podSandboxId: podId });
  assert.equal(pod.status?.id, podId);
  assert.equal(pod.status?.state, PodSandboxState.SANDBOX_READY);
  assert.equal(pod.status?.metadata?.uid, `uid-${suffix}`);
  assert.match(pod.status?.network?.ip ?? "", /^10\.123\.\d+\.\d+$/, "pod IP comes from the CIDR set by UpdateRuntimeConfig");

  const byId = await runtime.listPodSandbox({ filter: { id: podId } });
  assert.deepEqual(byId.items.map((p) => p.id), [podId]);
  const byLabel = await runtime.listPodSandbox({ filter: { labelSelector: runLabel } });
  assert.deepEqual(byLabel.items.map((p) => p.id), [podId]);
  assert.deepEqual(byLabel.items[0]?.labels, labels);
  const ready = await runtime.listPodSandbox({
    filter: { labelSelector: runLabel, state: { state: PodSandboxState.SANDBOX_READY } },
  });
  assert.deepEqual(ready.items.map((p) => p.id), [podId]);
  const notReady = await runtime.listPodSandbox({
    filter: { labelSelector: runLabel, state: { state: PodSandboxState.SANDBOX_NOTREADY } },
  });
  assert.deepEqual(notReady.items, []);
  const all = await runtime.listPodSandbox({});
  const streamed = (await collect(runtime.streamPodSandboxes({}))).flatMap((r) => r.podSandboxes);
  assert.deepEqual(sortById(streamed), sortById(all.items), "stream pod sandboxes = list pod sandboxes");
  const streamedByLabel = (await collect(runtime.streamPodSandboxes({ filter: { labelSelector: runLabel } }))).flatMap(
    (r) => r.podSandboxes,
  );
  assert.deepEqual(streamedByLabel, byLabel.items);
  return podId;
}

/** The story's one container; RestorePod is given the same process with other labels. */
function appConfig(imageRef: string, labels: Record<string, string>): MessageInitShape<typeof ContainerConfigSchema> {
  return {
    metadata: { name: "app", attempt: 0 },
    image: { image: imageRef },
    command: ["sleep", "3600"],
    // KeyValue.value is bytes (base64 in JSON); not UTF-8 on purpose after the first bytes.
    envs: [{ key: "GREETING", value: new TextEncoder().encode("hello") }, { key: "RAW", value: new Uint8Array([0xff, 0x00, 0x7f]) }],
    labels,
    linux: {},
  };
}

/** CreateContainer, StartContainer, ContainerStatus, ListContainers by pod, id, label and state, StreamContainers. */
async function createAndStartContainer({ clients: { runtime }, runLabel, imageRef }: Story, podId: string, imageId: string): Promise<string> {
  const labels = { ...runLabel, app: "story" };
  const { containerId } = await runtime.createContainer({ podSandboxId: podId, config: appConfig(imageRef, labels) });
  assert.match(containerId, /^[0-9a-f]{64}$/);
  let container = (await runtime.containerStatus({ containerId })).status;
  assert.equal(container?.state, ContainerState.CONTAINER_CREATED);
  assert.equal(container?.imageId, imageId, "image_id equals PullImage's image_ref");
  assert.match(container?.imageRef ?? "", /^docker\.io\/library\/busybox@sha256:/, "image_ref is the repo digest");
  assert.ok((container?.createdAt ?? 0n) > 0n);
  assert.equal(container?.startedAt, 0n);

  await runtime.startContainer({ containerId });
  container = (await runtime.containerStatus({ containerId })).status;
  assert.equal(container?.state, ContainerState.CONTAINER_RUNNING);
  assert.ok((container?.startedAt ?? 0n) >= (container?.createdAt ?? 0n), "started_at >= created_at");

  for (const filter of [
    { podSandboxId: podId },
    { id: containerId },
    { labelSelector: labels },
    { labelSelector: runLabel, state: { state: ContainerState.CONTAINER_RUNNING } },
  ]) {
    const listed = await runtime.listContainers({ filter });
    assert.deepEqual(listed.containers.map((c) => c.id), [containerId], `filter ${JSON.stringify(filter)}`);
  }
  const exited = await runtime.listContainers({
    filter: { labelSelector: runLabel, state: { state: ContainerState.CONTAINER_EXITED } },
  });
  assert.deepEqual(exited.containers, []);
  const all = await runtime.listContainers({});
  assert.equal(all.containers.find((c) => c.id === containerId)?.podSandboxId, podId);
  const streamed = (await collect(runtime.streamContainers({}))).flatMap((r) => r.containers);
  assert.deepEqual(sortById(streamed), sortById(all.containers), "stream containers = list containers");
  return containerId;
}

/** ExecSync output and exit codes; Exec, Attach and PortForward URLs on the gateway's own address. */
async function execAndStreamingUrls({ clients: { runtime }, gatewayUrl, suffix }: Story, podId: string, containerId: string): Promise<void> {
  const hello = await runtime.execSync({ containerId, cmd: ["echo", "hello"], timeout: 10n });
  assert.equal(text(hello.stdout), "hello\n");
  assert.equal(text(hello.stderr), "");
  assert.equal(hello.exitCode, 0);
  const three = await runtime.execSync({ containerId, cmd: ["sh", "-c", "exit 3"], timeout: 10n });
  assert.equal(three.exitCode, 3);
  const env = await runtime.execSync({ containerId, cmd: ["printenv", "GREETING"] });
  assert.equal(text(env.stdout), "hello\n");
  const missing = await runtime.execSync({ containerId, cmd: [`no-such-command-${suffix}`] });
  assert.equal(missing.exitCode, 127);
  assert.match(text(missing.stderr), /not found/);

  const exec = await runtime.exec({ containerId, cmd: ["sh"], stdin: true, stdout: true });
  assert.ok(exec.url.startsWith(`${gatewayUrl}/stream/exec/`), `exec URL ${exec.url} is on ${gatewayUrl}`);
  const attach = await runtime.attach({ containerId, stdout: true, stderr: true });
  assert.ok(attach.url.startsWith(`${gatewayUrl}/stream/attach/`), `attach URL ${attach.url} is on ${gatewayUrl}`);
  const forward = await runtime.portForward({ podSandboxId: podId, port: [8080] });
  assert.ok(forward.url.startsWith(`${gatewayUrl}/stream/portforward/`), `port-forward URL ${forward.url} is on ${gatewayUrl}`);
  assert.equal(new Set([exec.url, attach.url, forward.url]).size, 3, "every session has its own URL");
}

/**
 * UpdatePodSandboxResources (seen in verbose status and pod memory stats),
 * then every stats and metrics method; each stream matches its list.
 */
async function statsAndMetrics({ clients: { runtime }, runLabel, suffix }: Story, podId: string, containerId: string): Promise<void> {
  const podLimit = 512n * mib;
  await runtime.updatePodSandboxResources({ podSandboxId: podId, resources: { memoryLimitInBytes: podLimit } });
  const podVerbose = await runtime.podSandboxStatus({ podSandboxId: podId, verbose: true });
  const podInfo = JSON.parse(podVerbose.info.info ?? "{}") as { resources?: { memoryLimitInBytes?: number } };
  assert.equal(podInfo.resources?.memoryLimitInBytes, Number(podLimit));

  const stats = (await runtime.containerStats({ containerId })).stats;
  assert.equal(stats?.attributes?.id, containerId);
  assert.equal(stats?.attributes?.labels.app, "story");
  assert.ok((stats?.cpu?.usageCoreNanoSeconds?.value ?? 0n) > 0n, "a running container used CPU");
  assert.ok((stats?.memory?.workingSetBytes?.value ?? 0n) > 0n, "a running container uses memory");
  const listed = await runtime.listContainerStats({ filter: { labelSelector: runLabel } });
  assert.deepEqual(listed.stats.map((s) => s.attributes?.id), [containerId]);
  const streamed = (await collect(runtime.streamContainerStats({ filter: { labelSelector: runLabel } }))).flatMap(
    (r) => r.containerStats,
  );
  assert.deepEqual(streamed.map((s) => s.attributes?.id), [containerId], "stream container stats = list");

  const podStats = (await runtime.podSandboxStats({ podSandboxId: podId })).stats;
  assert.equal(podStats?.attributes?.id, podId);
  assert.deepEqual(podStats?.linux?.containers.map((c) => c.attributes?.id), [containerId]);
  const workingSet = podStats?.linux?.memory?.workingSetBytes?.value ?? 0n;
  assert.ok(workingSet > 0n);
  assert.equal(podStats?.linux?.memory?.availableBytes?.value, podLimit - workingSet, "available = pod limit - working set");
  const listedPods = await runtime.listPodSandboxStats({ filter: { id: podId } });
  assert.deepEqual(listedPods.stats.map((s) => s.attributes?.id), [podId]);
  const streamedPods = (await collect(runtime.streamPodSandboxStats({ filter: { id: podId } }))).flatMap(
    (r) => r.podSandboxStats,
  );
  assert.deepEqual(streamedPods.map((s) => s.attributes?.id), [podId], "stream pod sandbox stats = list");

  const descriptors = (await runtime.listMetricDescriptors({})).descriptors.map((d) => d.name);
  for (const name of ["container_cpu_usage_seconds_total", "container_memory_working_set_bytes"]) {
    assert.ok(descriptors.includes(name), `descriptor ${name} listed`);
  }
  const metrics = await runtime.listPodSandboxMetrics({});
  const podMetrics = metrics.podMetrics.find((m) => m.podSandboxId === podId);
  assert.ok(podMetrics, "pod sandbox metrics include the pod");
  const containerMetrics = podMetrics.containerMetrics.find((m) => m.containerId === containerId);
  const memory = containerMetrics?.metrics.find((m) => m.name === "container_memory_working_set_bytes");
  assert.equal(memory?.metricType, MetricType.GAUGE);
  assert.deepEqual(memory?.labelValues, ["app", `story-${suffix}`, "e2e"]);
  for (const metric of [...podMetrics.metrics, ...(containerMetrics?.metrics ?? [])]) {
    assert.ok(descriptors.includes(metric.name), `metric ${metric.name} has a descriptor`);
  }
  const streamedMetrics = (await collect(runtime.streamPodSandboxMetrics({}))).flatMap((r) => r.podSandboxMetrics);
  assert.deepEqual(
    streamedMetrics.map((m) => m.podSandboxId).sort(),
    metrics.podMetrics.map((m) => m.podSandboxId).sort(),
    "stream pod sandbox metrics = list",
  );
}

/** UpdateContainerResources, ReopenContainerLog, CheckpointContainer: each visible in (verbose) status. */
async function updateContainer({ clients: { runtime }, suffix }: Story, containerId: string): Promise<void> {
  const limit = 256n * mib;
  await runtime.updateContainerResources({ containerId, linux: { memoryLimitInBytes: limit, cpuShares: 512n } });
  await runtime.reopenContainerLog({ containerId });
  const checkpoint = `/tmp/checkpoint-${suffix}.tar`;
  await runtime.checkpointContainer({ containerId, location: checkpoint });
  const status = await runtime.containerStatus({ containerId, verbose: true });
  assert.equal(status.status?.resources?.linux?.memoryLimitInBytes, limit);
  assert.equal(status.status?.resources?.linux?.cpuShares, 512n);
  const info = JSON.parse(status.info.info ?? "{}") as { logReopens?: number; checkpoint?: string };
  assert.equal(info.logReopens, 1);
  assert.equal(info.checkpoint, checkpoint);
}

/**
 * CheckpointPod into a fresh empty directory (the pod keeps running), then
 * RestorePod from it as a new pod whose container comes back CREATED; a
 * second checkpoint into the now non-empty directory and a restore into the
 * same pod metadata are refused. The restored pod is removed again.
 */
async function checkpointAndRestorePod({ clients: { runtime }, suffix, runLabel, imageRef }: Story, podId: string, containerId: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "cri-story-pod-checkpoint-"));
  try {
    const answer = await runtime.checkpointPod({ podSandboxId: podId, outputPath: dir, containerIds: [containerId] });
    assert.deepEqual(Object.keys(answer).filter((k) => !k.startsWith("$")), [], "CheckpointPodResponse is empty");
    assert.equal(readdirSync(dir).length, 1, "the checkpoint was written into output_path");
    const still = (await runtime.containerStatus({ containerId })).status;
    assert.equal(still?.state, ContainerState.CONTAINER_RUNNING, "the checkpointed container keeps running");
    await rejectsWithCode(
      runtime.checkpointPod({ podSandboxId: podId, outputPath: dir, containerIds: [containerId] }),
      Code.FailedPrecondition,
      /not empty/,
    );

    const labels = { ...runLabel, app: "story", restored: "yes" };
    const config = {
      metadata: { name: `restored-${suffix}`, namespace: "e2e", uid: `uid-restored-${suffix}`, attempt: 0 },
      hostname: `restored-${suffix}`,
      labels: { ...runLabel, restored: "yes" },
      linux: {},
    };
    const restored = await runtime.restorePod({ checkpointPath: dir, config, containerConfigs: [appConfig(imageRef, labels)] });
    assert.match(restored.podSandboxId, /^[0-9a-f]{64}$/);
    assert.notEqual(restored.podSandboxId, podId, "the restored pod is a new sandbox");
    assert.deepEqual(restored.restoredContainers.map((c) => c.name), ["app"]);
    const restoredId = restored.restoredContainers[0]?.containerId ?? "";
    assert.match(restoredId, /^[0-9a-f]{64}$/);
    assert.notEqual(restoredId, containerId);
    const pod = (await runtime.podSandboxStatus({ podSandboxId: restored.podSandboxId })).status;
    assert.equal(pod?.state, PodSandboxState.SANDBOX_READY);
    assert.equal(pod?.metadata?.uid, `uid-restored-${suffix}`, "the restore-time config is the pod's");
    const container = await runtime.containerStatus({ containerId: restoredId, verbose: true });
    assert.equal(container.status?.state, ContainerState.CONTAINER_CREATED, "restored containers are CREATED, not run");
    assert.equal(container.status?.labels.restored, "yes");
    const inPod = await runtime.listContainers({ filter: { podSandboxId: restored.podSandboxId } });
    assert.deepEqual(inPod.containers.map((c) => c.id), [restoredId]);
    const info = JSON.parse(container.info.info ?? "{}") as { restoredFrom?: string };
    assert.equal(info.restoredFrom, dir);
    await rejectsWithCode(
      runtime.restorePod({ checkpointPath: dir, config, containerConfigs: [appConfig(imageRef, labels)] }),
      Code.AlreadyExists,
      /is reserved for/,
    );
    await runtime.removePodSandbox({ podSandboxId: restored.podSandboxId });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** StopContainer (exit code 0), RemoveContainer, StopPodSandbox (NOTREADY), RemovePodSandbox; then not_found. */
async function stopAndRemove({ clients: { runtime } }: Story, podId: string, containerId: string): Promise<void> {
  const running = (await runtime.containerStatus({ containerId })).status;
  await runtime.stopContainer({ containerId, timeout: 1n });
  const exited = (await runtime.containerStatus({ containerId })).status;
  assert.equal(exited?.state, ContainerState.CONTAINER_EXITED);
  assert.equal(exited?.exitCode, 0);
  assert.equal(exited?.reason, "Completed");
  assert.equal(exited?.startedAt, running?.startedAt, "started_at is kept");
  assert.ok((exited?.finishedAt ?? 0n) >= (exited?.startedAt ?? 0n), "finished_at >= started_at");
  await runtime.removeContainer({ containerId });
  await rejectsWithCode(runtime.containerStatus({ containerId }), Code.NotFound, `container "${containerId}" not found`);
  assert.deepEqual((await runtime.listContainers({ filter: { podSandboxId: podId } })).containers, []);

  await runtime.stopPodSandbox({ podSandboxId: podId });
  const stopped = await runtime.podSandboxStatus({ podSandboxId: podId });
  assert.equal(stopped.status?.state, PodSandboxState.SANDBOX_NOTREADY);
  await runtime.removePodSandbox({ podSandboxId: podId });
  await rejectsWithCode(runtime.podSandboxStatus({ podSandboxId: podId }), Code.NotFound, /not found/);
}

/** The subscriber saw the whole life of the container and of the sandbox, in order. */
async function checkEvents(events: EventSubscription, podId: string, containerId: string): Promise<void> {
  const lifecycle = ["CONTAINER_CREATED_EVENT", "CONTAINER_STARTED_EVENT", "CONTAINER_STOPPED_EVENT", "CONTAINER_DELETED_EVENT"];
  const typesOf = (id: string) =>
    events.received.filter((e) => e.containerId === id).map((e) => ContainerEventType[e.containerEventType]);
  await waitFor("the DELETED events", () => typesOf(containerId).length >= 4 && typesOf(podId).length >= 4);
  assert.deepEqual(typesOf(containerId), lifecycle);
  assert.deepEqual(typesOf(podId), lifecycle);
  const created = events.received.find((e) => e.containerId === containerId);
  assert.equal(created?.podSandboxStatus?.id, podId, "events carry the sandbox status");
}

/** Events received by a GetContainerEvents subscription, and how to end it. */
interface EventSubscription {
  readonly received: ContainerEventResponse[];
  /** Cancel the stream and wait until the consumer has stopped. */
  end(): Promise<void>;
}

function subscribeToEvents({ runtime }: CriClients): EventSubscription {
  const received: ContainerEventResponse[] = [];
  const abort = new AbortController();
  const consumer = (async () => {
    try {
      for await (const event of runtime.getContainerEvents({}, { signal: abort.signal })) received.push(event);
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
  })();
  // Surfaced by end(); keep an early failure from being an unhandled rejection.
  consumer.catch(() => {});
  return {
    received,
    end() {
      abort.abort();
      return consumer;
    },
  };
}

async function subscriberCount({ runtime }: CriClients): Promise<number> {
  const { info } = await runtime.status({ verbose: true });
  return (JSON.parse(info.counts ?? "{}") as { eventSubscribers?: number }).eventSubscribers ?? 0;
}

function sortById<T extends { id: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.id.localeCompare(b.id));
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
