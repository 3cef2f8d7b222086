/**
 * CheckpointPod and RestorePod. A checkpoint captures a ready pod and the
 * running containers the caller names into one file under the caller's
 * empty directory (format in pod-checkpoint-archive.ts); a restore reads it
 * back and creates a new ready pod whose containers are CREATED, ready for
 * the caller to start, as the CRI asks.
 *
 * NOTE: the snapshot is taken synchronously, before the first await, so it is
 * one consistent cut of the pod: the simulated equivalent of pausing every
 * container, capturing them and resuming them. Nothing is ever left paused.
 */
import { randomBytes } from "node:crypto";
import { readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { create } from "@bufbuild/protobuf";
import {
  type ContainerConfig,
  ContainerState,
  CheckpointPodResponseSchema,
  type KeyValue,
  PodSandboxState,
  RestorePodResponseSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { CoreError, isCoreError } from "../../core/core-error.js";
import { requireId, requireSet } from "../../core/request-checks.js";
import type { RuntimeMethods } from "../../core/runtime-core.js";
import { addContainerRecord } from "./container-lifecycle.js";
import {
  type PodCheckpoint,
  decodePodCheckpoint,
  encodePodCheckpoint,
  podCheckpointFileName,
} from "./pod-checkpoint-archive.js";
import { addSandboxRecord, removeSandboxRecord, requireRuntimeHandler } from "./sandbox-lifecycle.js";
import type { MemoryState } from "./state.js";
import { containerConfigOf } from "./store/container-config.js";
import { containerState, containerStateName } from "./store/container-store.js";
import { sandboxState } from "./store/sandbox-store.js";

/** A checkpoint file larger than this is refused rather than read into memory. */
const maxCheckpointBytes = 64 * 1024 * 1024;

type PodCheckpointVerbs = Pick<RuntimeMethods, "checkpointPod" | "restorePod">;

/** Build CheckpointPod and RestorePod over `state`. */
export function createPodCheckpointVerbs(state: MemoryState): PodCheckpointVerbs {
  return {
    async checkpointPod(request, ctx) {
      const sandbox = state.sandboxes.resolve(requireId(request.podSandboxId, "pod_sandbox_id"));
      const dir = requireAbsolute(request.outputPath, "output_path");
      refuseOptions(request.options);
      if (request.containerIds.length === 0) {
        throw new CoreError("invalid_argument", "container_ids must not be empty");
      }
      if (sandboxState(sandbox) !== PodSandboxState.SANDBOX_READY) {
        throw new CoreError("failed_precondition", `cannot checkpoint pod sandbox "${sandbox.id}": it is not ready`);
      }
      const seen = new Set<string>();
      const records = request.containerIds.map((given) => {
        const record = state.containers.resolve(given);
        if (seen.has(record.id)) throw new CoreError("invalid_argument", `container_ids names container "${record.id}" twice`);
        seen.add(record.id);
        if (record.podSandboxId !== sandbox.id) {
          throw new CoreError("invalid_argument", `container "${record.id}" is not in pod sandbox "${sandbox.id}"`);
        }
        const current = containerState(record);
        if (current !== ContainerState.CONTAINER_RUNNING) {
          throw new CoreError(
            "failed_precondition",
            `cannot checkpoint container "${record.id}": it is ${containerStateName(current)}`,
          );
        }
        return record;
      });
      const checkpoint: PodCheckpoint = {
        checkpointedAt: state.clock(),
        sandbox: {
          id: sandbox.id,
          config: sandbox.config,
          runtimeHandler: sandbox.runtimeHandler,
          state: PodSandboxState[PodSandboxState.SANDBOX_READY],
          createdAt: sandbox.createdAt,
          ip: sandbox.ip,
          overhead: sandbox.overhead,
          resources: sandbox.resources,
        },
        containers: records.map((record) => ({
          id: record.id,
          name: record.metadata?.name ?? "",
          imageId: record.imageId,
          config: containerConfigOf(record),
          state: ContainerState[ContainerState.CONTAINER_RUNNING],
          createdAt: record.createdAt,
          startedAt: record.startedAt,
          resources: record.resources,
        })),
      };
      const bytes = encodePodCheckpoint(checkpoint);

      await requireEmptyDirectory(dir);
      // Written under a temporary name and renamed, so the directory holds a
      // complete checkpoint or nothing (the CRI asks for no partial artifacts).
      const temp = join(dir, `.${podCheckpointFileName}.${randomBytes(4).toString("hex")}.tmp`);
      try {
        await writeFile(temp, bytes, { flag: "wx", mode: 0o600, signal: ctx.signal });
        if (ctx.signal.aborted) throw ctx.signal.reason;
        await rename(temp, join(dir, podCheckpointFileName));
      } catch (err) {
        await rm(temp, { force: true });
        if (ctx.signal.aborted) {
          throw new CoreError("deadline_exceeded", `checkpoint of pod sandbox "${sandbox.id}" did not finish in time`);
        }
        throw new CoreError("internal", `cannot write the checkpoint of pod sandbox "${sandbox.id}" to "${dir}"`, {
          cause: err,
        });
      }
      return create(CheckpointPodResponseSchema);
    },

    async restorePod(request) {
      const dir = requireAbsolute(request.checkpointPath, "checkpoint_path");
      const config = requireSet(request.config, "config");
      requireId(requireSet(config.metadata, "config.metadata").name, "config.metadata.name");
      requireRuntimeHandler(state, request.runtimeHandler);
      refuseOptions(request.options);
      const wanted = configsByName(request.containerConfigs);

      const file = join(dir, podCheckpointFileName);
      const checkpoint = decodePodCheckpoint(await readCheckpointFile(dir, file), file);

      // From here on no await: check everything, then create, undoing on failure.
      const names = checkpoint.containers.map((c) => c.name);
      const missing = names.filter((name) => !wanted.has(name));
      const extra = [...wanted.keys()].filter((name) => !names.includes(name));
      if (missing.length > 0 || extra.length > 0) {
        throw new CoreError(
          "invalid_argument",
          `container_configs names must be exactly the checkpointed containers ${JSON.stringify(names)}` +
            (missing.length > 0 ? `; missing ${JSON.stringify(missing)}` : "") +
            (extra.length > 0 ? `; not in the checkpoint ${JSON.stringify(extra)}` : ""),
        );
      }
      const plan = checkpoint.containers.map((captured) => {
        const given = wanted.get(captured.name) as ContainerConfig;
        const imageText = requireId(given.image?.image, `container_configs["${captured.name}"].image.image`);
        const image = state.images.find(imageText);
        if (image === undefined) {
          throw new CoreError("not_found", `image "${imageText}" not found: pull it first (PullImage)`);
        }
        if (image.id !== captured.imageId) {
          throw new CoreError(
            "invalid_argument",
            `container "${captured.name}": image "${imageText}" is ${image.id}, the checkpoint holds ${captured.imageId}`,
          );
        }
        const differs = processDifference(captured.config, given);
        if (differs !== undefined) {
          throw new CoreError("invalid_argument", `container "${captured.name}": ${differs} differs from the checkpoint`);
        }
        return { config: given, imageId: image.id };
      });

      const sandbox = addSandboxRecord(state, config, request.runtimeHandler);
      try {
        const restored = plan.map(({ config: containerConfig, imageId }) => {
          const record = addContainerRecord(state, sandbox, containerConfig, imageId, dir);
          return { name: containerConfig.metadata?.name ?? "", containerId: record.id };
        });
        return create(RestorePodResponseSchema, { podSandboxId: sandbox.id, restoredContainers: restored });
      } catch (err) {
        removeSandboxRecord(state, sandbox);
        throw err;
      }
    },
  };
}

function requireAbsolute(path: string, field: string): string {
  requireId(path, field);
  if (!isAbsolute(path)) throw new CoreError("invalid_argument", `${field} "${path}" is not an absolute path`);
  return path;
}

// The memory runtime has no checkpoint or restore options; the CRI asks
// runtimes to refuse keys they do not know instead of ignoring them.
function refuseOptions(options: Record<string, string>): void {
  const keys = Object.keys(options);
  if (keys.length > 0) {
    throw new CoreError("invalid_argument", `options ${JSON.stringify(keys.sort())} are not supported by the memory runtime`);
  }
}

function configsByName(configs: readonly ContainerConfig[]): Map<string, ContainerConfig> {
  if (configs.length === 0) throw new CoreError("invalid_argument", "container_configs must not be empty");
  const byName = new Map<string, ContainerConfig>();
  configs.forEach((config, i) => {
    const name = requireId(config.metadata?.name, `container_configs[${i}].metadata.name`);
    if (byName.has(name)) throw new CoreError("invalid_argument", `container_configs names "${name}" twice`);
    byName.set(name, config);
  });
  return byName;
}

async function requireEmptyDirectory(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw fsError(err, `output_path "${dir}"`);
  }
  if (entries.length > 0) {
    throw new CoreError("failed_precondition", `output_path "${dir}" is not empty (${entries.length} entries)`);
  }
}

async function readCheckpointFile(dir: string, file: string): Promise<Uint8Array> {
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) throw new CoreError("invalid_argument", `checkpoint_path "${dir}" is not a directory`);
    const size = (await stat(file)).size;
    if (size > maxCheckpointBytes) {
      throw new CoreError("invalid_argument", `${file} is not a usable pod checkpoint: ${size} bytes is too large`);
    }
    return await readFile(file);
  } catch (err) {
    if (isCoreError(err)) throw err;
    if (errnoOf(err) === "ENOENT") {
      throw new CoreError("not_found", `no pod checkpoint of the memory runtime at "${dir}" (${podCheckpointFileName} is missing)`, { cause: err });
    }
    throw fsError(err, `checkpoint_path "${dir}"`);
  }
}

// What the checkpointed process was started with must match: the CRI lets
// restore-time configs change labels, mounts, resources and the like, but
// not the process itself.
function processDifference(captured: ContainerConfig, given: ContainerConfig): string | undefined {
  if (!sameStrings(captured.command, given.command)) return "command";
  if (!sameStrings(captured.args, given.args)) return "args";
  if (captured.workingDir !== given.workingDir) return "working_dir";
  if (!sameEnvs(captured.envs, given.envs)) return "envs";
  return undefined;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function sameEnvs(a: readonly KeyValue[], b: readonly KeyValue[]): boolean {
  return a.length === b.length && a.every((kv, i) => kv.key === b[i].key && Buffer.from(kv.value).equals(b[i].value));
}

function errnoOf(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string" ? err.code : undefined;
}

function fsError(err: unknown, what: string): CoreError {
  switch (errnoOf(err)) {
    case "ENOENT":
      return new CoreError("not_found", `${what} does not exist`, { cause: err });
    case "ENOTDIR":
      return new CoreError("invalid_argument", `${what} is not a directory`, { cause: err });
    case "EACCES":
    case "EPERM":
      return new CoreError("failed_precondition", `${what} is not accessible to the runtime`, { cause: err });
    default:
      return new CoreError("internal", `cannot read ${what}`, { cause: err });
  }
}
