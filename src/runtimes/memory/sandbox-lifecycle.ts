/**
 * The create, stop and remove steps of a pod sandbox, shared by the sandbox
 * verbs and RestorePod. Names and IPs are reserved before the record exists
 * and released if adding it fails, as containerd's sandbox_run.go does.
 */
import { NamespaceMode, type PodSandboxConfig, PodSandboxState } from "../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../core/core-error.js";
import { killedExit, removeContainerRecord, stopContainerRecord } from "./container-lifecycle.js";
import { parseImageReference } from "./image-reference.js";
import { makeSandboxName } from "./naming.js";
import { simulateImage } from "./simulated-image.js";
import type { MemoryState } from "./state.js";
import { sandboxSizeHint } from "./store/sandbox-cri.js";
import { type SandboxRecord, sandboxState } from "./store/sandbox-store.js";

/** Throw invalid_argument unless `handler` is empty (the default) or configured. */
export function requireRuntimeHandler(state: MemoryState, handler: string): void {
  if (handler !== "" && !state.options.runtimeHandlers.includes(handler)) {
    throw new CoreError("invalid_argument", `no runtime for "${handler}" is configured`);
  }
}

/**
 * Add a READY sandbox for `config`: reserves its name (already_exists when
 * the metadata is in use) and an IP unless it uses the host network.
 */
export function addSandboxRecord(state: MemoryState, config: PodSandboxConfig, handler: string): SandboxRecord {
  ensurePauseImage(state);
  const id = state.newId();
  const name = makeSandboxName(config.metadata);
  state.sandboxNames.reserve(name, id);
  let ip = "";
  try {
    const hostNetwork = config.linux?.securityContext?.namespaceOptions?.network === NamespaceMode.NODE;
    if (!hostNetwork) ip = state.ips.allocate();
    return state.sandboxes.add({
      id,
      config,
      runtimeHandler: handler,
      createdAt: state.clock(),
      ip,
      sizeHint: sandboxSizeHint(id, handler, config),
    });
  } catch (err) {
    if (ip !== "") state.ips.release(ip);
    state.sandboxNames.release(name);
    throw err;
  }
}

/**
 * Kill the sandbox's containers, then mark it NOTREADY and free its IP.
 * containerd keeps reporting the last IP in the status; so do we.
 */
export function stopSandboxRecord(state: MemoryState, sandbox: SandboxRecord): void {
  for (const record of state.containers.inSandbox(sandbox.id)) stopContainerRecord(state, record, killedExit);
  if (sandboxState(sandbox) === PodSandboxState.SANDBOX_READY) {
    state.sandboxes.update(sandbox.id, () => ({ stoppedAt: state.clock() }));
    if (sandbox.ip !== "") state.ips.release(sandbox.ip);
  }
}

/** Stop the sandbox (containerd 2 forces it), remove its containers, then it, and free its name. */
export function removeSandboxRecord(state: MemoryState, sandbox: SandboxRecord): void {
  stopSandboxRecord(state, sandbox);
  for (const record of state.containers.inSandbox(sandbox.id)) removeContainerRecord(state, record);
  state.sandboxes.delete(sandbox.id, state.containers.inSandbox(sandbox.id).length);
  state.sandboxNames.release(makeSandboxName(sandbox.config.metadata));
}

// containerd pulls the sandbox image on demand if someone removed it.
function ensurePauseImage(state: MemoryState): void {
  if (state.images.find(state.options.pauseImage) !== undefined) return;
  const pulled = simulateImage(parseImageReference(state.options.pauseImage), { pinned: true });
  state.images.put(pulled.content, pulled.refs);
}
