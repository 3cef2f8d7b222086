/**
 * Container verbs: create, start, stop, remove, status, list/stream, and the
 * small ones (resources, log reopen, checkpoint). Each validates, resolves
 * ids through the stores and changes state only through ContainerStore, with
 * no await between a check and the change it guards.
 */
import { create, toJson } from "@bufbuild/protobuf";
import {
  type Container,
  ContainerConfigSchema,
  ContainerResourcesSchema,
  ContainerState,
  PodSandboxState,
  StreamContainersResponseSchema,
  CheckpointContainerResponseSchema,
  ContainerStatusResponseSchema,
  CreateContainerResponseSchema,
  ListContainersResponseSchema,
  RemoveContainerResponseSchema,
  ReopenContainerLogResponseSchema,
  StartContainerResponseSchema,
  StopContainerResponseSchema,
  UpdateContainerResourcesResponseSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../core/core-error.js";
import type { RuntimeMethods } from "../../core/runtime-core.js";
import { chunked } from "./chunk.js";
import { addContainerRecord, removeContainerRecord, stopContainerRecord, stopExitOf } from "./container-lifecycle.js";
import { toContainerSelector } from "./filters.js";
import { requireId, requireSet } from "../../core/request-checks.js";
import type { MemoryState } from "./state.js";
import { containerConfigOf } from "./store/container-config.js";
import { currentResources, toCriContainer, toCriContainerStatus } from "./store/container-cri.js";
import { type ContainerRecord, containerState, containerStateName } from "./store/container-store.js";
import { sandboxState } from "./store/sandbox-store.js";
import { simulatedPid } from "./usage-model.js";

/** Where checkpoints go when the request names no location. */
const defaultCheckpointDir = "/var/lib/cri-gateway/checkpoints";

type ContainerVerbs = Pick<
  RuntimeMethods,
  | "createContainer"
  | "startContainer"
  | "stopContainer"
  | "removeContainer"
  | "containerStatus"
  | "listContainers"
  | "streamContainers"
  | "updateContainerResources"
  | "reopenContainerLog"
  | "checkpointContainer"
>;

/** Build the container verbs over `state`. */
export function createContainerVerbs(state: MemoryState): ContainerVerbs {
  const { containers, sandboxes, images } = state;

  const select = (filter: Parameters<typeof toContainerSelector>[1]): ContainerRecord[] => {
    const selector = toContainerSelector(state, filter);
    return selector === undefined ? [] : containers.select(selector);
  };

  const requireRunning = (record: ContainerRecord, action: string): void => {
    const current = containerState(record);
    if (current !== ContainerState.CONTAINER_RUNNING) {
      throw new CoreError(
        "failed_precondition",
        `cannot ${action} container "${record.id}": it is ${containerStateName(current)}`,
      );
    }
  };

  return {
    async createContainer(request) {
      const config = requireSet(request.config, "config");
      const metadata = requireSet(config.metadata, "config.metadata");
      requireId(metadata.name, "config.metadata.name");
      const imageText = requireId(requireSet(config.image, "config.image").image, "config.image.image");
      const sandbox = sandboxes.resolve(requireId(request.podSandboxId, "pod_sandbox_id"));
      if (sandboxState(sandbox) !== PodSandboxState.SANDBOX_READY) {
        throw new CoreError("failed_precondition", `cannot create a container in pod sandbox "${sandbox.id}": it is not ready`);
      }
      const image = images.find(imageText);
      if (image === undefined) {
        throw new CoreError("not_found", `image "${imageText}" not found: pull it first (PullImage)`);
      }
      const { id } = addContainerRecord(state, sandbox, config, image.id);
      return create(CreateContainerResponseSchema, { containerId: id });
    },

    async startContainer(request) {
      const record = containers.resolve(request.containerId);
      const sandbox = sandboxes.get(record.podSandboxId);
      if (sandbox === undefined || sandboxState(sandbox) !== PodSandboxState.SANDBOX_READY) {
        throw new CoreError(
          "failed_precondition",
          `cannot start container "${record.id}": pod sandbox "${record.podSandboxId}" is not ready`,
        );
      }
      // The store rejects starting a running or exited container.
      containers.update(record.id, () => ({ startedAt: state.clock() }));
      return create(StartContainerResponseSchema);
    },

    async stopContainer(request) {
      // Unknown ids succeed: CRI requires Stop to be idempotent.
      const record = containers.find(request.containerId);
      if (record !== undefined) stopContainerRecord(state, record, stopExitOf(record));
      return create(StopContainerResponseSchema);
    },

    async removeContainer(request) {
      const record = containers.find(request.containerId);
      if (record !== undefined) removeContainerRecord(state, record);
      return create(RemoveContainerResponseSchema);
    },

    async containerStatus(request) {
      const record = containers.resolve(request.containerId);
      const sandbox = sandboxes.get(record.podSandboxId);
      // Decoded once here, for the status and for the verbose info.
      const config = containerConfigOf(record);
      const status = toCriContainerStatus(record, images.get(record.imageId), sandbox, config);
      const info: Record<string, string> = {};
      if (request.verbose) {
        info.info = JSON.stringify({
          sandboxID: record.podSandboxId,
          pid: containerState(record) === ContainerState.CONTAINER_RUNNING ? simulatedPid(record.id) : 0,
          removing: false,
          snapshotter: "overlayfs",
          snapshotKey: record.id,
          runtimeType: "io.containerd.runc.v2",
          config: toJson(ContainerConfigSchema, config),
          checkpoint: record.checkpoint === "" ? undefined : record.checkpoint,
          restoredFrom: record.restoredFrom === "" ? undefined : record.restoredFrom,
          logReopens: record.logReopens,
        });
      }
      return create(ContainerStatusResponseSchema, { status, info });
    },

    async listContainers(request) {
      return create(ListContainersResponseSchema, { containers: select(request.filter).map(toCriContainer) });
    },

    async *streamContainers(request, ctx) {
      const chunks = chunked<ContainerRecord, Container>({
        items: select(request.filter),
        sizeOf: (record) => record.sizeHint,
        build: toCriContainer,
        maxBytes: state.options.maxMessageBytes,
        signal: ctx.signal,
      });
      for await (const chunk of chunks) yield create(StreamContainersResponseSchema, { containers: chunk });
    },

    async updateContainerResources(request) {
      const record = containers.resolve(request.containerId);
      const current = containerState(record);
      // containerd updates created (spec only) and running containers.
      if (current !== ContainerState.CONTAINER_CREATED && current !== ContainerState.CONTAINER_RUNNING) {
        throw new CoreError(
          "failed_precondition",
          `cannot update resources of container "${record.id}": it is ${containerStateName(current)}`,
        );
      }
      const before = currentResources(record);
      const resources = create(ContainerResourcesSchema, {
        linux: request.linux ?? before.linux,
        windows: request.windows ?? before.windows,
      });
      containers.update(record.id, () => ({ resources }));
      return create(UpdateContainerResourcesResponseSchema);
    },

    async reopenContainerLog(request) {
      const record = containers.resolve(request.containerId);
      requireRunning(record, "reopen the log of");
      // As containerd: close the file and open log_path anew (the kubelet renamed the old one).
      state.logs.reopen(record.id);
      containers.update(record.id, (c) => ({ logReopens: c.logReopens + 1 }));
      return create(ReopenContainerLogResponseSchema);
    },

    async checkpointContainer(request) {
      const record = containers.resolve(request.containerId);
      const location =
        request.location !== ""
          ? request.location
          : `${defaultCheckpointDir}/checkpoint-${record.id}-${state.clock()}.tar`;
      containers.update(record.id, () => ({ checkpoint: location }));
      return create(CheckpointContainerResponseSchema);
    },
  };
}
