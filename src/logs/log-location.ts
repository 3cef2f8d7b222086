/**
 * Finds where a container's log is, asking the runtime core: the file is
 * ContainerStatus' log_path (the sandbox's log_directory joined with the
 * container's log_path), and the directory it must stay in is the
 * sandbox's log_directory, from PodSandboxStatus' verbose info (the
 * sandbox config, which both containerd and the memory runtime report).
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  ContainerState,
  ContainerStatusRequestSchema,
  ListContainersRequestSchema,
  PodSandboxStatusRequestSchema,
} from "../../gen/runtime/v1/api_pb.js";
import type { CallContext } from "../core/call-context.js";
import { CoreError, isCoreError } from "../core/core-error.js";
import type { RuntimeCore } from "../core/runtime-core.js";
import type { LogLocation } from "./log-file.js";

/** The core methods the log service calls. */
export type LogCore = Pick<RuntimeCore, "containerStatus" | "listContainers" | "podSandboxStatus">;

/**
 * Locate the log of `containerId` (an id or unique prefix). Throws what
 * ContainerStatus throws for an unknown id (not_found), and
 * failed_precondition when the container has no log path or its pod's log
 * directory cannot be learned.
 */
export async function locateContainerLog(core: LogCore, containerId: string, ctx: CallContext): Promise<LogLocation> {
  const { status } = await core.containerStatus(create(ContainerStatusRequestSchema, { containerId }), ctx);
  if (status === undefined) throw new CoreError("not_found", `container "${containerId}" not found`);
  const id = status.id === "" ? containerId : status.id;
  if (status.logPath === "") {
    throw new CoreError("failed_precondition", `container "${id}" has no log path (its pod sets no log_directory or it sets no log_path)`);
  }
  const listed = await core.listContainers(create(ListContainersRequestSchema, { filter: { id } }), ctx);
  const podSandboxId = listed.containers.find((c) => c.id === id)?.podSandboxId;
  if (podSandboxId === undefined) throw new CoreError("not_found", `container "${id}" not found`);
  const sandbox = await core.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId, verbose: true }), ctx);
  const directory = logDirectoryOf(sandbox.info.info);
  if (directory === undefined) {
    throw new CoreError("failed_precondition", `the log directory of the pod of container "${id}" is unknown`);
  }
  return { containerId: id, path: status.logPath, directory };
}

/**
 * Whether the container runs, for following: an unknown (removed) container
 * does not; other failures propagate.
 */
export async function isContainerRunning(core: LogCore, containerId: string, ctx: CallContext): Promise<boolean> {
  try {
    const { status } = await core.containerStatus(create(ContainerStatusRequestSchema, { containerId }), ctx);
    return status?.state === ContainerState.CONTAINER_RUNNING;
  } catch (err) {
    if (isCoreError(err, "not_found") || (err instanceof ConnectError && err.code === Code.NotFound)) return false;
    throw err;
  }
}

/** The sandbox config's log directory in a verbose info JSON (proto JSON or containerd's Go JSON). */
function logDirectoryOf(info: string | undefined): string | undefined {
  if (info === undefined) return undefined;
  try {
    const parsed = JSON.parse(info) as { config?: Record<string, unknown> };
    const dir = parsed.config?.logDirectory ?? parsed.config?.log_directory;
    return typeof dir === "string" && dir !== "" ? dir : undefined;
  } catch {
    return undefined;
  }
}
