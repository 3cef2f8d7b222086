/**
 * Stats verbs for containers and pod sandboxes. Values come from the usage
 * model at the moment of the call, so they grow between calls for running
 * containers. As in containerd, container lists cover every matching
 * container (those not running carry only attributes and the writable
 * layer, having no cgroup to sample) and sandbox lists cover ready sandboxes.
 */
import { create } from "@bufbuild/protobuf";
import {
  type ContainerStats,
  ContainerStatsResponseSchema,
  ContainerStatsSchema,
  ContainerState,
  ListContainerStatsResponseSchema,
  ListPodSandboxStatsResponseSchema,
  PodSandboxState,
  type PodSandboxStats,
  PodSandboxStatsResponseSchema,
  PodSandboxStatsSchema,
  StreamContainerStatsResponseSchema,
  StreamPodSandboxStatsResponseSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../core/core-error.js";
import type { RuntimeMethods } from "../../core/runtime-core.js";
import { chunked } from "./chunk.js";
import { toContainerSelector, toSandboxSelector } from "./filters.js";
import { snapshotterMountpoint } from "./images.js";
import type { MemoryState } from "./state.js";
import { type ContainerRecord, containerState } from "./store/container-store.js";
import { type SandboxRecord, sandboxState } from "./store/sandbox-store.js";
import { containerUsage, pauseCpuMillicores, pauseMemoryBytes, sandboxNetworkUsage } from "./usage-model.js";

/** Bound on the encoded size of a stats message beyond its attributes. */
const statsBodyBound = 640;

type StatsVerbs = Pick<
  RuntimeMethods,
  | "containerStats"
  | "listContainerStats"
  | "streamContainerStats"
  | "podSandboxStats"
  | "listPodSandboxStats"
  | "streamPodSandboxStats"
>;

/** The stats message of one container at `now`. */
export function toCriContainerStats(record: ContainerRecord, now: bigint): ContainerStats {
  const usage = containerUsage(record, now);
  const attributes = { id: record.id, metadata: record.metadata, labels: record.labels, annotations: record.annotations };
  const writableLayer = {
    timestamp: now,
    fsId: { mountpoint: snapshotterMountpoint },
    usedBytes: { value: usage.writableBytes },
    inodesUsed: { value: usage.writableInodes },
  };
  if (!usage.running) return create(ContainerStatsSchema, { attributes, writableLayer });
  return create(ContainerStatsSchema, {
    attributes,
    cpu: {
      timestamp: now,
      usageCoreNanoSeconds: { value: usage.cpuCoreNanos },
      usageNanoCores: { value: usage.cpuNanoCores },
    },
    memory: {
      timestamp: now,
      workingSetBytes: { value: usage.workingSetBytes },
      availableBytes: usage.availableBytes === undefined ? undefined : { value: usage.availableBytes },
      usageBytes: { value: usage.usageBytes },
      rssBytes: { value: usage.rssBytes },
      pageFaults: { value: usage.pageFaults },
      majorPageFaults: { value: usage.majorPageFaults },
    },
    writableLayer,
    swap: { timestamp: now, swapUsageBytes: { value: 0n }, swapAvailableBytes: { value: 0n } },
  });
}

/** Build the stats verbs over `state`. */
export function createStatsVerbs(state: MemoryState): StatsVerbs {
  const { containers, sandboxes } = state;

  const isRunning = (record: ContainerRecord) => containerState(record) === ContainerState.CONTAINER_RUNNING;

  const matchingContainers = (filter: Parameters<typeof toContainerSelector>[1]): ContainerRecord[] => {
    const selector = toContainerSelector(state, filter);
    return selector === undefined ? [] : containers.select(selector);
  };

  const readySandboxes = (filter: Parameters<typeof toSandboxSelector>[0]): SandboxRecord[] =>
    sandboxes.select({ ...toSandboxSelector(filter), state: PodSandboxState.SANDBOX_READY });

  const sandboxStats = (sandbox: SandboxRecord, now: bigint): PodSandboxStats => {
    const running = containers.inSandbox(sandbox.id).filter(isRunning);
    const items = running.map((record) => toCriContainerStats(record, now));
    let cpuNanos = 0n;
    let nanoCores = 0n;
    let workingSet = 0n;
    let usage = 0n;
    let rss = 0n;
    for (const item of items) {
      cpuNanos += item.cpu?.usageCoreNanoSeconds?.value ?? 0n;
      nanoCores += item.cpu?.usageNanoCores?.value ?? 0n;
      workingSet += item.memory?.workingSetBytes?.value ?? 0n;
      usage += item.memory?.usageBytes?.value ?? 0n;
      rss += item.memory?.rssBytes?.value ?? 0n;
    }
    // The pause process counts towards the pod.
    const ready = sandboxState(sandbox) === PodSandboxState.SANDBOX_READY;
    const end = ready ? now : sandbox.stoppedAt;
    cpuNanos += ((end - sandbox.createdAt) * BigInt(pauseCpuMillicores)) / 1000n;
    if (ready) {
      nanoCores += BigInt(pauseCpuMillicores) * 1_000_000n;
      workingSet += BigInt(pauseMemoryBytes);
      usage += BigInt(pauseMemoryBytes);
      rss += BigInt(pauseMemoryBytes);
    }
    const limit = sandbox.resources?.memoryLimitInBytes ?? 0n;
    const net = sandboxNetworkUsage(sandbox, running.length, now);
    const config = sandbox.config;
    return create(PodSandboxStatsSchema, {
      attributes: { id: sandbox.id, metadata: config.metadata, labels: config.labels, annotations: config.annotations },
      linux: {
        cpu: { timestamp: now, usageCoreNanoSeconds: { value: cpuNanos }, usageNanoCores: { value: nanoCores } },
        memory: {
          timestamp: now,
          workingSetBytes: { value: workingSet },
          availableBytes: limit > 0n ? { value: limit > workingSet ? limit - workingSet : 0n } : undefined,
          usageBytes: { value: usage },
          rssBytes: { value: rss },
        },
        network: {
          timestamp: now,
          defaultInterface: {
            name: "eth0",
            rxBytes: { value: net.rxBytes },
            rxErrors: { value: 0n },
            txBytes: { value: net.txBytes },
            txErrors: { value: 0n },
          },
        },
        process: { timestamp: now, processCount: { value: net.processes } },
        containers: items,
      },
    });
  };

  const sandboxStatsSize = (sandbox: SandboxRecord): number => {
    let size = sandbox.sizeHint + statsBodyBound;
    for (const record of containers.inSandbox(sandbox.id)) size += record.sizeHint + statsBodyBound;
    return size;
  };

  return {
    async containerStats(request) {
      const record = containers.resolve(request.containerId);
      return create(ContainerStatsResponseSchema, { stats: toCriContainerStats(record, state.clock()) });
    },

    async listContainerStats(request) {
      const now = state.clock();
      const stats = matchingContainers(request.filter).map((record) => toCriContainerStats(record, now));
      return create(ListContainerStatsResponseSchema, { stats });
    },

    async *streamContainerStats(request, ctx) {
      const now = state.clock();
      const chunks = chunked<ContainerRecord, ContainerStats>({
        items: matchingContainers(request.filter),
        sizeOf: (record) => record.sizeHint + statsBodyBound,
        build: (record) => toCriContainerStats(record, now),
        maxBytes: state.options.maxMessageBytes,
        signal: ctx.signal,
      });
      for await (const chunk of chunks) yield create(StreamContainerStatsResponseSchema, { containerStats: chunk });
    },

    async podSandboxStats(request) {
      const sandbox = sandboxes.resolve(request.podSandboxId);
      // containerd refuses stats of a sandbox that is not ready.
      if (sandboxState(sandbox) !== PodSandboxState.SANDBOX_READY) {
        throw new CoreError("failed_precondition", `pod sandbox "${sandbox.id}" is not ready: it has no stats`);
      }
      return create(PodSandboxStatsResponseSchema, { stats: sandboxStats(sandbox, state.clock()) });
    },

    async listPodSandboxStats(request) {
      const now = state.clock();
      const stats = readySandboxes(request.filter).map((sandbox) => sandboxStats(sandbox, now));
      return create(ListPodSandboxStatsResponseSchema, { stats });
    },

    async *streamPodSandboxStats(request, ctx) {
      const now = state.clock();
      const chunks = chunked<SandboxRecord, PodSandboxStats>({
        items: readySandboxes(request.filter),
        sizeOf: sandboxStatsSize,
        build: (sandbox) => sandboxStats(sandbox, now),
        maxBytes: state.options.maxMessageBytes,
        signal: ctx.signal,
      });
      for await (const chunk of chunks) yield create(StreamPodSandboxStatsResponseSchema, { podSandboxStats: chunk });
    },
  };
}
