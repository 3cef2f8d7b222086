/**
 * The memory runtime: the gateway's embedded default core, a simulated CRI
 * runtime that keeps pod sandboxes, containers and images in memory and
 * behaves like containerd at the CRI surface (states, ids, errors, events),
 * built to hold 100k containers.
 *
 * @example
 * const core = createMemoryRuntime({ gatewayUrl: () => "http://127.0.0.1:7070", maxMessageBytes: 16 << 20, settings: {} });
 */
import { ImageService, RuntimeService } from "../../../gen/runtime/v1/api_pb.js";
import type { CoreOptions } from "../../core/registry.js";
import type { RuntimeCore } from "../../core/runtime-core.js";
import type { ContainerExit } from "./container-lifecycle.js";
import { createContainerVerbs } from "./containers.js";
import { createEventVerbs } from "./events.js";
import { createExecSyncVerb } from "./exec-sync.js";
import { withFaults } from "./faults.js";
import { parseImageReference } from "./image-reference.js";
import { createImageVerbs } from "./images.js";
import { createMetricVerbs } from "./metrics.js";
import { type MemoryRuntimeOptions, resolveMemoryOptions } from "./options.js";
import { createPodCheckpointVerbs } from "./pod-checkpoint.js";
import { createStatusVerbs } from "./runtime-status.js";
import { createSandboxVerbs } from "./sandboxes.js";
import { simulateImage } from "./simulated-image.js";
import { createMemoryState } from "./state.js";
import { createStatsVerbs } from "./stats.js";
import { createMemoryStreamServer } from "./stream-server.js";
import { createStreamingVerbs } from "./streaming.js";
import type { StreamingSession } from "./streaming-sessions.js";

// What callers and tests of the memory runtime need besides the factory.
export type { Fault, MemoryRuntimeOptions, MethodName } from "./options.js";
export { defaultPauseImage, defaultPodCidr } from "./options.js";
export type { StreamingKind, StreamingSession } from "./streaming-sessions.js";
export type { ContainerExit } from "./container-lifecycle.js";
export { memoryRuntimeName } from "./runtime-status.js";

/** Things that happen to containers on their own, which CRI has no verb for. */
export interface MemorySimulation {
  /**
   * The container's process exits by itself (crash, completion, OOM kill).
   * Default exit: code 1, reason "Error". Throws not_found for an unknown id
   * and failed_precondition unless it is RUNNING or UNKNOWN.
   */
  exitContainer(containerId: string, exit?: Partial<ContainerExit>): void;
  /** The runtime loses track of a RUNNING container: it becomes UNKNOWN until stopped. */
  loseContainer(containerId: string): void;
}

/** The memory runtime: a full RuntimeCore plus simulation hooks. */
export interface MemoryRuntime extends RuntimeCore {
  /** Simulated process events (exits, lost containers). */
  readonly simulate: MemorySimulation;
  /** Take the pending Exec/Attach/PortForward session behind a URL token (single use). */
  takeStreamingSession(token: string): StreamingSession | undefined;
}

const streamingMethods: ReadonlySet<string> = new Set(
  [...RuntimeService.methods, ...ImageService.methods]
    .filter((m) => m.methodKind === "server_streaming")
    .map((m) => m.localName),
);

/**
 * Create a memory runtime. Options are validated once, here (CoreError
 * "invalid_argument" names the bad one). The pause image and `images` are
 * present from the start.
 */
export function createMemoryRuntime(options: CoreOptions & MemoryRuntimeOptions): MemoryRuntime {
  const resolved = resolveMemoryOptions(options);
  const state = createMemoryState(resolved);
  for (const ref of [resolved.pauseImage, ...resolved.images]) {
    const image = simulateImage(parseImageReference(ref), { pinned: ref === resolved.pauseImage });
    state.images.put(image.content, image.refs);
  }

  let closed = false;
  const core: MemoryRuntime = {
    name: "memory",
    ...createStatusVerbs(state),
    ...createSandboxVerbs(state),
    ...createPodCheckpointVerbs(state),
    ...createContainerVerbs(state),
    ...createExecSyncVerb(state),
    ...createStreamingVerbs(state),
    ...createStatsVerbs(state),
    ...createMetricVerbs(state),
    ...createEventVerbs(state),
    ...createImageVerbs(state),
    async health() {
      return closed ? { ready: false, message: "memory runtime is closed" } : { ready: true };
    },
    async close() {
      closed = true;
      state.events.close();
      state.logs.close();
    },
    simulate: {
      exitContainer(containerId, exit = {}) {
        const record = state.containers.resolve(containerId);
        state.containers.update(record.id, () => ({
          finishedAt: state.clock(),
          exitCode: exit.exitCode ?? 1,
          reason: exit.reason ?? ((exit.exitCode ?? 1) === 0 ? "Completed" : "Error"),
          message: exit.message ?? "",
          unknown: false,
        }));
      },
      loseContainer(containerId) {
        const record = state.containers.resolve(containerId);
        state.containers.update(record.id, () => ({ unknown: true }));
      },
    },
    takeStreamingSession: (token) => state.sessions.take(token),
    streaming: createMemoryStreamServer(state),
  };
  return withFaults(core, resolved.faults, streamingMethods);
}
