/**
 * Section B's worker, run in its own process with `--expose-gc`: fills a
 * memory runtime with kubelet-like pods and containers and measures creation
 * rate, filtered lists, id-prefix lookups, a full StreamContainers and heap
 * per container. Prints one JSON object ({@link ScaleResult}) on stdout.
 */
import { type MessageInitShape, create, toBinary } from "@bufbuild/protobuf";
import {
  type CreateContainerRequest,
  ContainerStatusRequestSchema,
  ListContainersRequestSchema,
  StreamContainersRequestSchema,
  StreamContainersResponseSchema,
} from "../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../src/core/call-context.js";
import { median, percentile } from "./proc.js";
import { benchMaxMessageBytes, containerRequest, createBenchRuntime, podNames, podRequest } from "./seed.js";

/** Timing of repeated queries, in ms. */
export interface QueryTiming {
  readonly medianMs: number;
  readonly p99Ms: number;
  /** Containers each query returned (all alike, checked). */
  readonly results: number;
}

/** Everything the scale bench reports. */
export interface ScaleResult {
  readonly pods: number;
  readonly containers: number;
  readonly podsPerSec: number;
  readonly containersPerSec: number;
  readonly listByPod: QueryTiming;
  readonly listByLabel: QueryTiming;
  readonly listByTwoLabels: QueryTiming;
  /** ContainerStatus by a 12-character id prefix at 1k containers and at the full count. */
  readonly prefixLookupSmall: QueryTiming & { atContainers: number };
  readonly prefixLookupFull: QueryTiming & { atContainers: number };
  readonly stream: {
    readonly totalMs: number;
    readonly encodeMs: number;
    readonly chunks: number;
    readonly items: number;
    readonly maxChunkItems: number;
    readonly maxChunkBytes: number;
    readonly limitBytes: number;
  };
  readonly heap: {
    /** Runtime state per container, configs excluded (they were allocated before, by the requests). */
    readonly perContainerWithoutConfigBytes: number;
    /** Runtime state per container including the config objects it keeps. */
    readonly perContainerWithConfigBytes: number;
    /** The CreateContainer request objects alone (config + wrapper). */
    readonly requestPerContainerBytes: number;
    /** Sandbox state per pod (its config included). */
    readonly perPodBytes: number;
    readonly totalMiB: number;
  };
}

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const pods = arg("--pods", 10_000);
const perPod = arg("--per-pod", 10);
const queries = arg("--queries", 1000);
const smallAt = 1000;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const ctx = createCallContext();
const core = createBenchRuntime();
let random = 42;
// A fixed-seed generator, so every run asks the same questions.
const pick = (n: number) => {
  random = (random * 1103515245 + 12345) % 2147483648;
  return random % n;
};

async function time(
  count: number,
  run: (i: number) => Promise<number>,
  warmup = Math.min(count, 500),
): Promise<QueryTiming> {
  for (let i = 0; i < warmup; i++) await run(i);
  const ms: number[] = [];
  let results = -1;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const n = await run(i);
    ms.push(performance.now() - t0);
    if (results === -1) results = n;
    else if (results !== n) throw new Error(`query ${i} returned ${n} items, the first returned ${results}`);
  }
  return { medianMs: median(ms), p99Ms: percentile(ms, 99), results };
}

const containerIds: string[] = [];
const prefixLookup = () =>
  time(queries, async () => {
    const id = containerIds[pick(containerIds.length)] as string;
    const reply = await core.containerStatus(create(ContainerStatusRequestSchema, { containerId: id.slice(0, 12) }), ctx);
    if (reply.status?.id !== id) throw new Error(`prefix ${id.slice(0, 12)} resolved to ${reply.status?.id}`);
    return 1;
  });

const h0 = heap();
const podRequests = Array.from({ length: pods }, (_, i) => podRequest(i));
heap();
const podIds: string[] = [];
let t = performance.now();
for (const request of podRequests) podIds.push((await core.runPodSandbox(request, ctx)).podSandboxId);
const podsPerSec = pods / ((performance.now() - t) / 1000);
podRequests.length = 0;
const hPods = heap();

let requests: CreateContainerRequest[] = [];
for (let i = 0; i < pods; i++) {
  for (let j = 0; j < perPod; j++) requests.push(containerRequest(podIds[i] as string, i, j));
}
const hRequests = heap();

let creatingMs = 0;
let prefixLookupSmall: QueryTiming | undefined;
t = performance.now();
for (const request of requests) {
  containerIds.push((await core.createContainer(request, ctx)).containerId);
  if (containerIds.length === smallAt) {
    creatingMs += performance.now() - t;
    prefixLookupSmall = await prefixLookup();
    t = performance.now();
  }
}
creatingMs += performance.now() - t;
const total = containerIds.length;
const hContainers = heap();
// Read the requests after measuring, so V8 keeps them alive through it: the
// "runtime state alone" figure subtracts them.
if (requests.length !== total) throw new Error(`created ${total} of ${requests.length} containers`);
requests = [];
const hKept = heap();

const listBy = (filter: (i: number) => MessageInitShape<typeof ListContainersRequestSchema>) =>
  time(queries, async () => {
    const i = pick(pods);
    return (await core.listContainers(create(ListContainersRequestSchema, filter(i)), ctx)).containers.length;
  });
const listByPod = await listBy((i) => ({ filter: { podSandboxId: podIds[i] as string } }));
const listByLabel = await listBy((i) => ({ filter: { labelSelector: { "io.kubernetes.pod.uid": podNames(i).uid } } }));
const listByTwoLabels = await listBy((i) => ({
  filter: { labelSelector: { "io.kubernetes.pod.name": podNames(i).name, "io.kubernetes.container.name": "c3" } },
}));
const prefixLookupFull = await prefixLookup();

let chunks = 0;
let items = 0;
let maxChunkItems = 0;
let maxChunkBytes = 0;
let encodeMs = 0;
t = performance.now();
for await (const chunk of core.streamContainers(create(StreamContainersRequestSchema, {}), ctx)) {
  const e = performance.now();
  const bytes = toBinary(StreamContainersResponseSchema, chunk).byteLength;
  encodeMs += performance.now() - e;
  chunks++;
  items += chunk.containers.length;
  maxChunkItems = Math.max(maxChunkItems, chunk.containers.length);
  maxChunkBytes = Math.max(maxChunkBytes, bytes);
}
const streamMs = performance.now() - t;
if (items !== total) throw new Error(`StreamContainers sent ${items} of ${total} containers`);

const result: ScaleResult = {
  pods,
  containers: total,
  podsPerSec,
  containersPerSec: total / (creatingMs / 1000),
  listByPod,
  listByLabel,
  listByTwoLabels,
  prefixLookupSmall: { ...(prefixLookupSmall as QueryTiming), atContainers: smallAt },
  prefixLookupFull: { ...prefixLookupFull, atContainers: total },
  stream: {
    totalMs: streamMs,
    encodeMs,
    chunks,
    items,
    maxChunkItems,
    maxChunkBytes,
    limitBytes: benchMaxMessageBytes,
  },
  heap: {
    perContainerWithoutConfigBytes: (hContainers - hRequests) / total,
    perContainerWithConfigBytes: (hKept - hPods) / total,
    requestPerContainerBytes: (hRequests - hPods) / total,
    perPodBytes: (hPods - h0) / pods,
    totalMiB: (hKept - h0) / 2 ** 20,
  },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
await core.close();
