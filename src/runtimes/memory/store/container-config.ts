/**
 * How a container record keeps the config it was created with. The fields
 * that lists, filters, stats and Stop read on every call stay as the
 * request's own objects; everything else is kept protobuf-encoded and decoded
 * only by the verbs that need it (ContainerStatus, ExecSync, verbose info).
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type ContainerConfig,
  ContainerConfigSchema,
  type ContainerMetadata,
  type ImageSpec,
  type LinuxContainerResources,
  Signal,
} from "../../../../gen/runtime/v1/api_pb.js";

/** The CPU and memory limits the usage model reads on every stats call and metrics scrape. */
export type ResourceLimits = Pick<LinuxContainerResources, "cpuPeriod" | "cpuQuota" | "memoryLimitInBytes">;

/**
 * The parts of a ContainerConfig a record keeps. The message objects and maps
 * are the request's own, shared by reference, so treat them as read-only.
 */
export interface KeptContainerConfig {
  readonly metadata: ContainerMetadata | undefined;
  readonly image: ImageSpec | undefined;
  readonly labels: ContainerConfig["labels"];
  readonly annotations: ContainerConfig["annotations"];
  /** Read by StopContainer to pick the exit. */
  readonly stopSignal: Signal;
  /**
   * linux.resources' CPU and memory limits at creation, copied so that stats
   * and metrics never decode; undefined when it was not set.
   */
  readonly createdLimits: ResourceLimits | undefined;
  /**
   * Every other field, protobuf-encoded, one latin1 character per byte.
   * Read it through {@link containerConfigOf}, never directly.
   */
  readonly configRest: string;
}

/**
 * Split `config` into what a record keeps. Call it once, at creation.
 *
 * NOTE: as protobuf-es objects a kubelet-like ContainerConfig takes 2.4-3.2
 * KiB of heap (the top-level message alone is a dictionary-mode object of
 * ~0.8 KiB); its encoded rest (command, envs, mounts, log path, linux) is
 * ~0.25 KiB. At 100k containers that difference is most of the runtime's
 * heap. The price is the encoding: ~6 µs for such a config, about as much as
 * the rest of CreateContainer, and ~3 µs to decode it again.
 */
export function keepContainerConfig(config: ContainerConfig): KeptContainerConfig {
  const resources = config.linux?.resources;
  const rest = toBinary(ContainerConfigSchema, restOf(config));
  return {
    metadata: config.metadata,
    image: config.image,
    labels: config.labels,
    annotations: config.annotations,
    stopSignal: config.stopSignal,
    createdLimits:
      resources === undefined
        ? undefined
        : {
            cpuPeriod: resources.cpuPeriod,
            cpuQuota: resources.cpuQuota,
            memoryLimitInBytes: resources.memoryLimitInBytes,
          },
    // NOTE: a string rather than the Uint8Array itself: a one-byte string of
    // n bytes is n + 16 bytes of heap, while a small Uint8Array costs ~190
    // bytes of typed-array and ArrayBuffer objects plus its bytes in a
    // separate malloc'd backing store that heapUsed does not even show.
    configRest: Buffer.from(rest.buffer, rest.byteOffset, rest.byteLength).toString("latin1"),
  };
}

/** The kept fields at their defaults, so the encoded rest does not repeat them. */
const keptDefaults = {
  metadata: undefined,
  image: undefined,
  labels: {},
  annotations: {},
  stopSignal: Signal.RUNTIME_DEFAULT,
} as const;

/** Every other member of ContainerConfig, read off the schema so fields added upstream are never lost. */
const restMembers = ContainerConfigSchema.members
  .map((member) => member.localName)
  .filter((name) => !Object.hasOwn(keptDefaults, name));

/**
 * `config` with the kept fields cleared, for encoding. Copied field by field
 * because the message is a dictionary-mode object, which `{ ...config }`
 * copies about ten times slower.
 */
function restOf(config: ContainerConfig): ContainerConfig {
  const source = config as unknown as Record<string, unknown>;
  const rest: Record<string, unknown> = { $typeName: config.$typeName, ...keptDefaults };
  for (const name of restMembers) rest[name] = source[name];
  if (config.$unknown !== undefined) rest.$unknown = config.$unknown;
  return rest as unknown as ContainerConfig;
}

/**
 * The full config the container was created with, equal to the request's
 * (unknown fields included). Decodes on every call (a few microseconds), so
 * hot paths should read the kept fields instead. The result is a fresh
 * message whose kept parts are shared: do not mutate it.
 */
export function containerConfigOf(kept: KeptContainerConfig): ContainerConfig {
  const config = fromBinary(ContainerConfigSchema, Buffer.from(kept.configRest, "latin1"));
  config.metadata = kept.metadata;
  config.image = kept.image;
  config.labels = kept.labels;
  config.annotations = kept.annotations;
  config.stopSignal = kept.stopSignal;
  return config;
}
