/**
 * GetContainerEvents: lifecycle events built from the stores' change
 * listeners (never from the verbs) and fanned out to every subscriber.
 * Sandboxes report CONTAINER_* events on their own id, as containerd does:
 * CREATED and STARTED on RunPodSandbox, STOPPED on stop, DELETED on removal.
 */
import { create } from "@bufbuild/protobuf";
import {
  type ContainerEventResponse,
  ContainerEventResponseSchema,
  ContainerEventType,
} from "../../../gen/runtime/v1/api_pb.js";
import type { RuntimeMethods } from "../../core/runtime-core.js";
import type { MemoryState } from "./state.js";
import type { ContainerChange, ContainerRecord } from "./store/container-store.js";
import { toCriContainerStatus } from "./store/container-cri.js";
import { toCriPodSandboxStatus } from "./store/sandbox-cri.js";
import type { SandboxChange, SandboxRecord } from "./store/sandbox-store.js";

const containerEventOf: Record<ContainerChange, ContainerEventType> = {
  created: ContainerEventType.CONTAINER_CREATED_EVENT,
  started: ContainerEventType.CONTAINER_STARTED_EVENT,
  stopped: ContainerEventType.CONTAINER_STOPPED_EVENT,
  deleted: ContainerEventType.CONTAINER_DELETED_EVENT,
};

/** Publish the event for a container change (the container store's listener). */
export function publishContainerChange(state: MemoryState, change: ContainerChange, record: ContainerRecord): void {
  state.events.publish(() => buildEvent(state, record.id, record.podSandboxId, containerEventOf[change]));
}

/** Publish the events for a sandbox change (the sandbox store's listener). */
export function publishSandboxChange(state: MemoryState, change: SandboxChange, record: SandboxRecord): void {
  const send = (type: ContainerEventType) => state.events.publish(() => buildEvent(state, record.id, record.id, type));
  switch (change) {
    case "created":
      // RunPodSandbox creates and starts the sandbox in one call.
      send(ContainerEventType.CONTAINER_CREATED_EVENT);
      send(ContainerEventType.CONTAINER_STARTED_EVENT);
      return;
    case "stopped":
      send(ContainerEventType.CONTAINER_STOPPED_EVENT);
      return;
    case "deleted":
      send(ContainerEventType.CONTAINER_DELETED_EVENT);
      return;
  }
}

/**
 * One event, shaped like containerd's generateAndSendContainerEvent: the
 * sandbox status (unset once the sandbox is gone) and the statuses of all
 * containers still in it.
 */
function buildEvent(
  state: MemoryState,
  containerId: string,
  podSandboxId: string,
  type: ContainerEventType,
): ContainerEventResponse {
  const sandbox = state.sandboxes.get(podSandboxId);
  return create(ContainerEventResponseSchema, {
    containerId,
    containerEventType: type,
    createdAt: state.clock(),
    podSandboxStatus: sandbox === undefined ? undefined : toCriPodSandboxStatus(sandbox),
    containersStatuses: state.containers
      .inSandbox(podSandboxId)
      .map((c) => toCriContainerStatus(c, state.images.get(c.imageId), sandbox)),
  });
}

/** The GetContainerEvents verb. Messages are shared between subscribers: treat them as read-only. */
export function createEventVerbs(state: MemoryState): Pick<RuntimeMethods, "getContainerEvents"> {
  return {
    getContainerEvents: (_request, ctx) => state.events.subscribe(ctx.signal),
  };
}
