/**
 * Pod sandbox verbs: run, stop, remove, status, list/stream and resource
 * updates. Stop and remove cascade to the sandbox's containers (stopping them
 * first), which is where the kubelet's fake falls short and containerd does not.
 */
import { create, toJson } from "@bufbuild/protobuf";
import {
  ListPodSandboxResponseSchema,
  type PodSandbox,
  PodSandboxConfigSchema,
  PodSandboxState,
  PodSandboxStatusResponseSchema,
  RemovePodSandboxResponseSchema,
  RunPodSandboxResponseSchema,
  StopPodSandboxResponseSchema,
  StreamPodSandboxesResponseSchema,
  UpdatePodSandboxResourcesResponseSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../core/core-error.js";
import type { RuntimeMethods } from "../../core/runtime-core.js";
import { chunked } from "./chunk.js";
import { toSandboxSelector } from "./filters.js";
import { addSandboxRecord, removeSandboxRecord, requireRuntimeHandler, stopSandboxRecord } from "./sandbox-lifecycle.js";
import { requireId, requireSet } from "../../core/request-checks.js";
import type { MemoryState } from "./state.js";
import { toCriContainerStatus } from "./store/container-cri.js";
import { toCriPodSandbox, toCriPodSandboxStatus } from "./store/sandbox-cri.js";
import { type SandboxRecord, sandboxState } from "./store/sandbox-store.js";
import { simulatedPid } from "./usage-model.js";

type SandboxVerbs = Pick<
  RuntimeMethods,
  | "runPodSandbox"
  | "stopPodSandbox"
  | "removePodSandbox"
  | "podSandboxStatus"
  | "listPodSandbox"
  | "streamPodSandboxes"
  | "updatePodSandboxResources"
>;

/** Build the pod sandbox verbs over `state`. */
export function createSandboxVerbs(state: MemoryState): SandboxVerbs {
  const { sandboxes, containers, images } = state;

  return {
    async runPodSandbox(request) {
      const config = requireSet(request.config, "config");
      const metadata = requireSet(config.metadata, "config.metadata");
      requireId(metadata.name, "config.metadata.name");
      requireRuntimeHandler(state, request.runtimeHandler);
      const { id } = addSandboxRecord(state, config, request.runtimeHandler);
      return create(RunPodSandboxResponseSchema, { podSandboxId: id });
    },

    async stopPodSandbox(request) {
      // Unknown ids succeed: CRI requires Stop to be idempotent.
      const sandbox = sandboxes.find(request.podSandboxId);
      if (sandbox !== undefined) stopSandboxRecord(state, sandbox);
      return create(StopPodSandboxResponseSchema);
    },

    async removePodSandbox(request) {
      const sandbox = sandboxes.find(request.podSandboxId);
      if (sandbox !== undefined) removeSandboxRecord(state, sandbox);
      return create(RemovePodSandboxResponseSchema);
    },

    async podSandboxStatus(request) {
      const sandbox = sandboxes.resolve(request.podSandboxId);
      const info: Record<string, string> = {};
      if (request.verbose) {
        const ready = sandboxState(sandbox) === PodSandboxState.SANDBOX_READY;
        info.info = JSON.stringify({
          pid: ready ? simulatedPid(sandbox.id) : 0,
          processStatus: ready ? "running" : "stopped",
          netNamespaceClosed: !ready,
          image: state.options.pauseImage,
          runtimeHandler: sandbox.runtimeHandler,
          runtimeType: "io.containerd.runc.v2",
          config: toJson(PodSandboxConfigSchema, sandbox.config),
          overhead: sandbox.overhead === undefined ? undefined : numbersOf(sandbox.overhead),
          resources: sandbox.resources === undefined ? undefined : numbersOf(sandbox.resources),
        });
      }
      return create(PodSandboxStatusResponseSchema, {
        status: toCriPodSandboxStatus(sandbox),
        info,
        containersStatuses: containers
          .inSandbox(sandbox.id)
          .map((c) => toCriContainerStatus(c, images.get(c.imageId), sandbox)),
        timestamp: state.clock(),
      });
    },

    async listPodSandbox(request) {
      const items = sandboxes.select(toSandboxSelector(request.filter)).map(toCriPodSandbox);
      return create(ListPodSandboxResponseSchema, { items });
    },

    async *streamPodSandboxes(request, ctx) {
      const chunks = chunked<SandboxRecord, PodSandbox>({
        items: sandboxes.select(toSandboxSelector(request.filter)),
        sizeOf: (record) => record.sizeHint,
        build: toCriPodSandbox,
        maxBytes: state.options.maxMessageBytes,
        signal: ctx.signal,
      });
      for await (const chunk of chunks) yield create(StreamPodSandboxesResponseSchema, { podSandboxes: chunk });
    },

    async updatePodSandboxResources(request) {
      const sandbox = sandboxes.resolve(request.podSandboxId);
      // The proto has no status field for these; they show in verbose status
      // info and cap the simulated sandbox memory.
      sandboxes.update(sandbox.id, () => ({ overhead: request.overhead, resources: request.resources }));
      return create(UpdatePodSandboxResourcesResponseSchema);
    },
  };
}

// Plain JSON of the numeric limits (int64 fields are bigint in memory).
function numbersOf(resources: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resources)) {
    if (key === "$typeName") continue;
    out[key] = typeof value === "bigint" ? Number(value) : value;
  }
  return out;
}
