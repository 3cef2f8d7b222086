/**
 * The create, stop and remove steps shared by the container verbs and the sandbox
 * cascade, and the simulated process exits. Every state change still goes
 * through ContainerStore.update, which owns the rules.
 *
 * NOTE: exit codes. The simulated process honours its stop signal at once, so
 * StopContainer ends it with exit code 0, reason "Completed" (whatever the
 * timeout), unless its stop signal is SIGKILL. A forced stop (StopPodSandbox,
 * RemovePodSandbox, or RemoveContainer of a running container; containerd
 * uses a zero timeout there) kills it: 137 (128 + SIGKILL), reason "Error",
 * containerd's reason for any non-zero exit.
 */
import { type ContainerConfig, ContainerState, Signal } from "../../../gen/runtime/v1/api_pb.js";
import { makeContainerName } from "./naming.js";
import type { MemoryState } from "./state.js";
import { containerSizeHint } from "./store/container-cri.js";
import { type ContainerRecord, containerState } from "./store/container-store.js";
import type { SandboxRecord } from "./store/sandbox-store.js";

/** How a container ends. */
export interface ContainerExit {
  readonly exitCode: number;
  readonly reason: string;
  readonly message: string;
}

/** A clean exit after the stop signal. */
export const gracefulExit: ContainerExit = { exitCode: 0, reason: "Completed", message: "" };
/** SIGKILL. */
export const killedExit: ContainerExit = { exitCode: 137, reason: "Error", message: "" };

/**
 * Add a CREATED container to `sandbox`. Its name is reserved first
 * (already_exists when the metadata is in use in that pod) and released if
 * adding fails, as containerd's container_create.go does. `restoredFrom` is
 * the pod checkpoint it was restored from, "" for a plain create.
 */
export function addContainerRecord(
  state: MemoryState,
  sandbox: SandboxRecord,
  config: ContainerConfig,
  imageId: string,
  restoredFrom = "",
): ContainerRecord {
  const id = state.newId();
  const name = makeContainerName(config.metadata, sandbox.config.metadata);
  state.containerNames.reserve(name, id);
  try {
    return state.containers.add({
      id,
      podSandboxId: sandbox.id,
      config,
      imageId,
      createdAt: state.clock(),
      sizeHint: containerSizeHint(id, sandbox.id, imageId, config),
      restoredFrom,
    });
  } catch (err) {
    state.containerNames.release(name);
    throw err;
  }
}

/** The exit StopContainer produces for this container. */
export function stopExitOf(record: ContainerRecord): ContainerExit {
  return record.stopSignal === Signal.SIGKILL ? killedExit : gracefulExit;
}

/**
 * Stop a RUNNING or UNKNOWN container; any other state is left alone, as
 * containerd's stopContainer returns early for them.
 */
export function stopContainerRecord(state: MemoryState, record: ContainerRecord, exit: ContainerExit): void {
  const current = containerState(record);
  if (current !== ContainerState.CONTAINER_RUNNING && current !== ContainerState.CONTAINER_UNKNOWN) return;
  state.containers.update(record.id, () => ({
    finishedAt: state.clock(),
    exitCode: exit.exitCode,
    reason: exit.reason,
    message: exit.message,
    unknown: false,
  }));
}

/** Kill the container if it still runs, then delete it and free its name. */
export function removeContainerRecord(state: MemoryState, record: ContainerRecord): void {
  stopContainerRecord(state, record, killedExit);
  const sandbox = state.sandboxes.get(record.podSandboxId);
  state.containers.delete(record.id);
  state.containerNames.release(makeContainerName(record.metadata, sandbox?.config.metadata));
}
