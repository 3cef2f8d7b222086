/**
 * Simulated resource usage, computed on demand from timestamps (no timers):
 * each container gets stable traits from its id (a CPU rate, a base memory
 * size) and its counters grow with the time it has been running, within its
 * limits. Pure functions of (record, now), so two reads at the same instant agree.
 */
import type { ResourceLimits } from "./store/container-config.js";
import type { ContainerRecord } from "./store/container-store.js";
import type { SandboxRecord } from "./store/sandbox-store.js";

/** What a container uses at one instant. Byte and time values are bigint as CRI wants them. */
export interface ContainerUsage {
  /** True while the process runs. */
  readonly running: boolean;
  /** Cumulative CPU time, nanoseconds. */
  readonly cpuCoreNanos: bigint;
  /** Current rate, core-nanoseconds per second (0 when not running). */
  readonly cpuNanoCores: bigint;
  readonly workingSetBytes: bigint;
  readonly usageBytes: bigint;
  readonly rssBytes: bigint;
  /** Limit minus working set; undefined without a memory limit. */
  readonly availableBytes: bigint | undefined;
  readonly pageFaults: bigint;
  readonly majorPageFaults: bigint;
  readonly writableBytes: bigint;
  readonly writableInodes: bigint;
}

/** What a sandbox's own network and processes use at one instant. */
export interface SandboxNetworkUsage {
  readonly rxBytes: bigint;
  readonly txBytes: bigint;
  /** Processes: the pause process plus one per running container. */
  readonly processes: bigint;
}

const kib = 1024;
const mib = 1024 * kib;
/** Memory grows for this long after start, then levels off. */
const warmupSeconds = 600;
/** The pause container's own CPU share, in millicores. */
export const pauseCpuMillicores = 1;
/** The pause container's own memory, in bytes. */
export const pauseMemoryBytes = 512 * kib;

/** The usage of `record` at `now`. */
export function containerUsage(record: ContainerRecord, now: bigint): ContainerUsage {
  const runNs = runningNs(record, now);
  const running = record.startedAt !== 0n && record.finishedAt === 0n && !record.unknown;
  const seconds = Number(runNs) / 1e9;
  const limits = record.resources?.linux ?? record.createdLimits;
  const trait = Number.parseInt(record.id.slice(0, 8), 16);

  const millicores = cpuMillicores(trait, limits);
  const cpuCoreNanos = (runNs * BigInt(millicores)) / 1000n;

  let workingSet = 0;
  if (running) {
    const base = 8 * mib + ((trait >>> 8) % 56) * mib;
    workingSet = base + Math.min(seconds, warmupSeconds) * 16 * kib;
    const limit = Number(limits?.memoryLimitInBytes ?? 0n);
    if (limit > 0) workingSet = Math.min(workingSet, Math.floor(limit * 0.9));
  }
  const limit = limits?.memoryLimitInBytes ?? 0n;
  const ws = BigInt(Math.floor(workingSet));
  const writable = Math.min(64 * mib, 4 * kib + Math.floor(seconds * kib));
  return {
    running,
    cpuCoreNanos,
    cpuNanoCores: running ? BigInt(millicores) * 1_000_000n : 0n,
    workingSetBytes: ws,
    usageBytes: ws + ws / 4n,
    rssBytes: (ws * 4n) / 5n,
    availableBytes: limit > 0n ? (limit > ws ? limit - ws : 0n) : undefined,
    pageFaults: BigInt(Math.floor(1000 + seconds * 50)),
    majorPageFaults: BigInt(Math.floor(seconds / 100)),
    writableBytes: BigInt(writable),
    writableInodes: BigInt(1 + Math.floor(writable / (16 * kib))),
  };
}

/** Network and process counts of a sandbox at `now`; counters grow while it is READY. */
export function sandboxNetworkUsage(sandbox: SandboxRecord, runningContainers: number, now: bigint): SandboxNetworkUsage {
  const end = sandbox.stoppedAt === 0n ? now : sandbox.stoppedAt;
  const seconds = end > sandbox.createdAt ? Number(end - sandbox.createdAt) / 1e9 : 0;
  const rate = 1024 + (Number.parseInt(sandbox.id.slice(0, 6), 16) % 8192);
  const rx = BigInt(Math.floor(seconds * rate));
  return {
    rxBytes: rx,
    txBytes: rx / 2n,
    processes: sandbox.stoppedAt === 0n ? BigInt(1 + runningContainers) : 0n,
  };
}

// Between 20 and 200 millicores, capped by a CFS quota when one is set.
function cpuMillicores(trait: number, limits: ResourceLimits | undefined): number {
  let millicores = 20 + (trait % 181);
  const quota = Number(limits?.cpuQuota ?? 0n);
  const period = Number(limits?.cpuPeriod ?? 0n);
  if (quota > 0 && period > 0) millicores = Math.max(1, Math.min(millicores, Math.floor((quota / period) * 1000)));
  return millicores;
}

function runningNs(record: ContainerRecord, now: bigint): bigint {
  if (record.startedAt === 0n) return 0n;
  const end = record.finishedAt !== 0n ? record.finishedAt : now;
  return end > record.startedAt ? end - record.startedAt : 0n;
}

/** A stable, plausible pid for a running container or sandbox (verbose info only). */
export function simulatedPid(id: string): number {
  return 1000 + (Number.parseInt(id.slice(0, 6), 16) % 4_000_000);
}
