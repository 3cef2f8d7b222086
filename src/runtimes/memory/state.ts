/**
 * Everything the memory runtime's verbs share: the clock, the stores, the
 * name registries, the IP allocator, pending streaming sessions, the event
 * hub and the runtime settings. Built once by createMemoryRuntime.
 */
import type { ContainerEventResponse } from "../../../gen/runtime/v1/api_pb.js";
import type { Clock } from "./clock.js";
import { type ContainerLogs, createContainerLogs } from "./container-log.js";
import { type EventHub, createEventHub } from "./event-hub.js";
import { publishContainerChange, publishSandboxChange } from "./events.js";
import { type IpAllocator, createIpAllocator } from "./ip-allocator.js";
import { createIdGenerator } from "./new-id.js";
import type { ResolvedMemoryOptions } from "./options.js";
import { type StreamingSessions, createStreamingSessions } from "./streaming-sessions.js";
import { type ContainerStore, createContainerStore } from "./store/container-store.js";
import { type ImageStore, createImageStore } from "./store/image-store.js";
import { type NameRegistry, createNameRegistry } from "./store/name-registry.js";
import { type SandboxStore, createSandboxStore } from "./store/sandbox-store.js";

/** The shared state of one memory runtime. */
export interface MemoryState {
  readonly clock: Clock;
  readonly newId: () => string;
  readonly sandboxes: SandboxStore;
  readonly containers: ContainerStore;
  readonly images: ImageStore;
  readonly sandboxNames: NameRegistry;
  readonly containerNames: NameRegistry;
  readonly ips: IpAllocator;
  readonly sessions: StreamingSessions;
  readonly events: EventHub<ContainerEventResponse>;
  /** The containers' CRI log files. */
  readonly logs: ContainerLogs;
  readonly options: ResolvedMemoryOptions;
}

/** Build the stores and wire their change listeners to the event hub. */
export function createMemoryState(options: ResolvedMemoryOptions): MemoryState {
  // The listeners close over `state`; they first run on the first add, after
  // `state` is assigned below.
  let state: MemoryState | undefined;
  const ready = (): MemoryState => state as MemoryState;
  state = {
    clock: options.clock,
    newId: createIdGenerator(),
    sandboxes: createSandboxStore({ onChange: (change, record) => publishSandboxChange(ready(), change, record) }),
    containers: createContainerStore({
      onChange: (change, record) => {
        publishContainerChange(ready(), change, record);
        ready().logs.onChange(change, record);
      },
    }),
    images: createImageStore(),
    sandboxNames: createNameRegistry({ noun: "pod sandbox" }),
    containerNames: createNameRegistry({ noun: "container" }),
    ips: createIpAllocator(options.podCidr),
    sessions: createStreamingSessions({ clock: options.clock, ttlMs: options.streamingSessionTtlMs }),
    events: createEventHub<ContainerEventResponse>({
      capacity: options.eventQueueCapacity,
      noun: "container event",
    }),
    logs: createContainerLogs(ready),
    options,
  };
  return state;
}
