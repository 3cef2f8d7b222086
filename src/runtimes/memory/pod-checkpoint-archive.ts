/**
 * The memory runtime's pod checkpoint format. CRI leaves the files a runtime
 * writes under CheckpointPodRequest.output_path to the runtime; ours is one
 * gzip-compressed JSON document, `memory-pod-checkpoint.json.gz`, holding the
 * sandbox (config, handler, state, times) and each captured container (config
 * with its labels and annotations, image, state, times, resources) as they
 * were at the moment of the checkpoint. Messages are in protobuf JSON, so the
 * file is readable with `zcat … | jq`.
 *
 * containerd and CRI-O write tar archives of CRIU images instead; nothing
 * outside this runtime reads our file, and RestorePod refuses anyone else's.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import {
  type ContainerConfig,
  ContainerConfigSchema,
  type ContainerResources,
  ContainerResourcesSchema,
  type LinuxContainerResources,
  LinuxContainerResourcesSchema,
  type PodSandboxConfig,
  PodSandboxConfigSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../core/core-error.js";

/** The one file a memory pod checkpoint consists of, inside the output directory. */
export const podCheckpointFileName = "memory-pod-checkpoint.json.gz";

/** Written as `format`; RestorePod accepts nothing else. */
export const podCheckpointFormat = "cri-gateway.memory.pod-checkpoint/v1";

/** A captured container. */
export interface CheckpointedContainer {
  readonly id: string;
  /** ContainerMetadata.name, what RestorePod matches configurations by. */
  readonly name: string;
  readonly imageId: string;
  readonly config: ContainerConfig;
  /** Always "CONTAINER_RUNNING": CheckpointPod captures running containers only. */
  readonly state: string;
  readonly createdAt: bigint;
  readonly startedAt: bigint;
  readonly resources: ContainerResources | undefined;
}

/** Everything a memory pod checkpoint holds. */
export interface PodCheckpoint {
  /** Nanoseconds, when the pod was captured. */
  readonly checkpointedAt: bigint;
  readonly sandbox: {
    readonly id: string;
    readonly config: PodSandboxConfig;
    readonly runtimeHandler: string;
    /** Always "SANDBOX_READY": CheckpointPod captures ready pods only. */
    readonly state: string;
    readonly createdAt: bigint;
    readonly ip: string;
    readonly overhead: LinuxContainerResources | undefined;
    readonly resources: LinuxContainerResources | undefined;
  };
  readonly containers: readonly CheckpointedContainer[];
}

/** Encode `checkpoint` as the bytes of {@link podCheckpointFileName}. */
export function encodePodCheckpoint(checkpoint: PodCheckpoint): Uint8Array {
  const { sandbox } = checkpoint;
  const doc = {
    format: podCheckpointFormat,
    checkpointedAt: String(checkpoint.checkpointedAt),
    sandbox: {
      id: sandbox.id,
      runtimeHandler: sandbox.runtimeHandler,
      state: sandbox.state,
      createdAt: String(sandbox.createdAt),
      ip: sandbox.ip,
      config: toJson(PodSandboxConfigSchema, sandbox.config),
      overhead: sandbox.overhead && toJson(LinuxContainerResourcesSchema, sandbox.overhead),
      resources: sandbox.resources && toJson(LinuxContainerResourcesSchema, sandbox.resources),
    },
    containers: checkpoint.containers.map((c) => ({
      id: c.id,
      name: c.name,
      imageId: c.imageId,
      state: c.state,
      createdAt: String(c.createdAt),
      startedAt: String(c.startedAt),
      config: toJson(ContainerConfigSchema, c.config),
      resources: c.resources && toJson(ContainerResourcesSchema, c.resources),
    })),
  };
  return gzipSync(JSON.stringify(doc, null, 1));
}

/**
 * Decode the bytes of {@link podCheckpointFileName}. Anything that is not a
 * complete checkpoint in our format (not gzip, not JSON, another format,
 * a missing or mistyped member) is CoreError "invalid_argument" naming the
 * `source` (the file path) and what is wrong.
 */
export function decodePodCheckpoint(bytes: Uint8Array, source: string): PodCheckpoint {
  const bad = (what: string, cause?: unknown): CoreError =>
    new CoreError("invalid_argument", `${source} is not a usable pod checkpoint: ${what}`, { cause });
  let doc: unknown;
  try {
    doc = JSON.parse(gunzipSync(bytes).toString("utf8"));
  } catch (err) {
    throw bad(err instanceof SyntaxError ? "its JSON is malformed" : "it is not gzip-compressed", err);
  }
  const root = objectAt(doc, "the document", bad);
  if (root.format !== podCheckpointFormat) {
    throw bad(`format is ${JSON.stringify(root.format ?? null)}, want "${podCheckpointFormat}"`);
  }
  const sandbox = objectAt(root.sandbox, "sandbox", bad);
  const containers = root.containers;
  if (!Array.isArray(containers)) throw bad("containers is not a list");
  return {
    checkpointedAt: nanosAt(root.checkpointedAt, "checkpointedAt", bad),
    sandbox: {
      id: stringAt(sandbox.id, "sandbox.id", bad),
      config: messageAt(sandbox.config, "sandbox.config", bad, (v) => fromJson(PodSandboxConfigSchema, v)),
      runtimeHandler: stringAt(sandbox.runtimeHandler, "sandbox.runtimeHandler", bad),
      state: stringAt(sandbox.state, "sandbox.state", bad),
      createdAt: nanosAt(sandbox.createdAt, "sandbox.createdAt", bad),
      ip: stringAt(sandbox.ip, "sandbox.ip", bad),
      overhead: optionalMessageAt(sandbox.overhead, "sandbox.overhead", bad, (v) =>
        fromJson(LinuxContainerResourcesSchema, v),
      ),
      resources: optionalMessageAt(sandbox.resources, "sandbox.resources", bad, (v) =>
        fromJson(LinuxContainerResourcesSchema, v),
      ),
    },
    containers: containers.map((item: unknown, i) => {
      const at = `containers[${i}]`;
      const c = objectAt(item, at, bad);
      return {
        id: stringAt(c.id, `${at}.id`, bad),
        name: stringAt(c.name, `${at}.name`, bad),
        imageId: stringAt(c.imageId, `${at}.imageId`, bad),
        state: stringAt(c.state, `${at}.state`, bad),
        createdAt: nanosAt(c.createdAt, `${at}.createdAt`, bad),
        startedAt: nanosAt(c.startedAt, `${at}.startedAt`, bad),
        config: messageAt(c.config, `${at}.config`, bad, (v) => fromJson(ContainerConfigSchema, v)),
        resources: optionalMessageAt(c.resources, `${at}.resources`, bad, (v) =>
          fromJson(ContainerResourcesSchema, v),
        ),
      };
    }),
  };
}

type Bad = (what: string, cause?: unknown) => CoreError;

function objectAt(value: unknown, at: string, bad: Bad): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad(`${at} is not an object`);
  return value as Record<string, unknown>;
}

function stringAt(value: unknown, at: string, bad: Bad): string {
  if (typeof value !== "string") throw bad(`${at} is not a string`);
  return value;
}

function nanosAt(value: unknown, at: string, bad: Bad): bigint {
  if (typeof value !== "string" || !/^\d+$/.test(value)) throw bad(`${at} is not a nanosecond count`);
  return BigInt(value);
}

function messageAt<T>(value: unknown, at: string, bad: Bad, parse: (json: JsonValue) => T): T {
  if (value === undefined) throw bad(`${at} is missing`);
  try {
    return parse(value as JsonValue);
  } catch (err) {
    throw bad(`${at} does not decode (${err instanceof Error ? err.message : String(err)})`, err);
  }
}

function optionalMessageAt<T>(value: unknown, at: string, bad: Bad, parse: (json: JsonValue) => T): T | undefined {
  return value === undefined ? undefined : messageAt(value, at, bad, parse);
}
