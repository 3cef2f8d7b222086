/**
 * Options of the memory runtime and their one-time validation. Settings given
 * on the command line (`--core-opt key=value`) map onto the same options.
 */
import type { ImageMethods, RuntimeMethods } from "../../core/runtime-core.js";
import type { CoreOptions } from "../../core/registry.js";
import { CoreError } from "../../core/core-error.js";
import { ImageService, RuntimeService } from "../../../gen/runtime/v1/api_pb.js";
import { type Clock, createSystemClock } from "./clock.js";
import { parseImageReference } from "./image-reference.js";
import { validatePodCidr } from "./ip-allocator.js";

/** A CRI method name as the core names it (`stopContainer`, `pullImage`). */
export type MethodName = keyof RuntimeMethods | keyof ImageMethods;

/**
 * An injected failure: the error itself (thrown on every call), or a function
 * asked on every call that returns the error to throw, or undefined to let
 * the call through (handy for "fail once" faults).
 */
export type Fault = CoreError | (() => CoreError | undefined);

/** What the memory runtime can be told beyond {@link CoreOptions}. */
export interface MemoryRuntimeOptions {
  /** Current time in epoch nanoseconds. Default: wall clock with a monotonic offset. */
  readonly clock?: Clock;
  /** Failures to inject per method, like the kubelet fake's injected errors. Off by default. */
  readonly faults?: Partial<Record<MethodName, Fault>>;
  /** Image references present at start, besides the pause image. Default none. */
  readonly images?: readonly string[];
  /** The sandbox (pause) image, present and pinned at start. Default `registry.k8s.io/pause:3.10`. */
  readonly pauseImage?: string;
  /** Pod CIDR until UpdateRuntimeConfig sets one. Default `10.88.0.0/16` (containerd's bridge default). */
  readonly podCidr?: string;
  /** Runtime handlers besides the default "". Default `["runc"]`. */
  readonly runtimeHandlers?: readonly string[];
  /** Events one GetContainerEvents subscriber may have queued before it is cut off. Default 1024. */
  readonly eventQueueCapacity?: number;
  /** How long an Exec/Attach/PortForward URL stays valid, in ms. Default: the gateway's `streamTokenTtlMs`, else 60 s. */
  readonly streamingSessionTtlMs?: number;
}

/** Options after defaults and validation. */
export type ResolvedMemoryOptions = Required<Omit<MemoryRuntimeOptions, "faults">> & {
  readonly faults: Partial<Record<MethodName, Fault>>;
  readonly gatewayUrl: () => string;
  readonly maxMessageBytes: number;
};

/** The default sandbox image, as in containerd 2.0. */
export const defaultPauseImage = "registry.k8s.io/pause:3.10";
/** containerd's default bridge network. */
export const defaultPodCidr = "10.88.0.0/16";

const methodNames = new Set<string>([...RuntimeService.methods, ...ImageService.methods].map((m) => m.localName));
const settingKeys = ["images", "pause-image", "pod-cidr", "runtime-handlers"] as const;

/**
 * Fill in defaults and check everything once, at creation. Settings from
 * `--core-opt` fill options that were not given directly. Throws
 * CoreError("invalid_argument") naming the bad option.
 */
export function resolveMemoryOptions(options: CoreOptions & MemoryRuntimeOptions): ResolvedMemoryOptions {
  const bad = (what: string): never => {
    throw new CoreError("invalid_argument", `memory runtime: ${what}`);
  };
  const settings = options.settings ?? {};
  for (const key of Object.keys(settings)) {
    if (!(settingKeys as readonly string[]).includes(key)) {
      bad(`unknown setting "${key}" (known: ${settingKeys.join(", ")})`);
    }
  }
  const list = (text: string | undefined) =>
    text === undefined ? undefined : text.split(",").map((s) => s.trim()).filter((s) => s !== "");

  if (typeof options.gatewayUrl !== "function") bad("gatewayUrl must be a function");
  if (!Number.isSafeInteger(options.maxMessageBytes) || options.maxMessageBytes < 4096) {
    bad("maxMessageBytes must be an integer of at least 4096");
  }

  const clock = options.clock ?? createSystemClock();
  const sample: unknown = clock();
  if (typeof sample !== "bigint" || sample <= 0n) bad("clock must return a positive bigint of epoch nanoseconds");

  const faults = options.faults ?? {};
  for (const [name, fault] of Object.entries(faults)) {
    if (!methodNames.has(name)) bad(`faults: unknown method "${name}"`);
    if (!(fault instanceof CoreError) && typeof fault !== "function") {
      bad(`faults.${name} must be a CoreError or a function returning one`);
    }
  }

  const pauseImage = options.pauseImage ?? settings["pause-image"] ?? defaultPauseImage;
  const images = options.images ?? list(settings.images) ?? [];
  for (const ref of [pauseImage, ...images]) parseImageReference(ref);

  const podCidr = options.podCidr ?? settings["pod-cidr"] ?? defaultPodCidr;
  validatePodCidr(podCidr);

  const runtimeHandlers = options.runtimeHandlers ?? list(settings["runtime-handlers"]) ?? ["runc"];
  for (const handler of runtimeHandlers) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(handler)) bad(`runtime handler "${handler}" is not a DNS label`);
  }

  const eventQueueCapacity = options.eventQueueCapacity ?? 1024;
  if (!Number.isSafeInteger(eventQueueCapacity) || eventQueueCapacity < 1) {
    bad("eventQueueCapacity must be a positive integer");
  }
  const streamingSessionTtlMs = options.streamingSessionTtlMs ?? options.streamTokenTtlMs ?? 60_000;
  if (!Number.isFinite(streamingSessionTtlMs) || streamingSessionTtlMs <= 0) {
    bad("streamingSessionTtlMs must be a positive number");
  }

  return {
    clock,
    faults,
    images,
    pauseImage,
    podCidr,
    runtimeHandlers,
    eventQueueCapacity,
    streamingSessionTtlMs,
    gatewayUrl: options.gatewayUrl,
    maxMessageBytes: options.maxMessageBytes,
  };
}
