/**
 * A container's record and status, and the state derived from its
 * timestamps exactly as containerd's internal/cri/store/container/status.go
 * does. The moves the lifecycle allows are listed here; ContainerStore.update
 * enforces them (see the diagram in container-store.ts).
 */
import { ContainerState } from "../../../../gen/runtime/v1/api_pb.js";
import type { ContainerResources } from "../../../../gen/runtime/v1/api_pb.js";
import type { KeptContainerConfig } from "./container-config.js";

/** The mutable part of a container; changed only by {@link ContainerStore.update}. */
export interface ContainerStatusFields {
  /** Nanoseconds; 0n until started. */
  readonly startedAt: bigint;
  /** Nanoseconds; 0n until exited. */
  readonly finishedAt: bigint;
  readonly exitCode: number;
  /** CamelCase cause such as "Completed", "Error". */
  readonly reason: string;
  readonly message: string;
  /** Set when the runtime lost track of the process (CONTAINER_UNKNOWN). */
  readonly unknown: boolean;
  /** Limits set by UpdateContainerResources; undefined means "as created". */
  readonly resources: ContainerResources | undefined;
  /** Last CheckpointContainer location; "" when never checkpointed. */
  readonly checkpoint: string;
  /** How many times ReopenContainerLog was called. */
  readonly logReopens: number;
}

/**
 * A stored container. Its config is kept in parts (see container-config.ts):
 * read the full one through containerConfigOf.
 */
export interface ContainerRecord extends ContainerStatusFields, KeptContainerConfig {
  /** 64 hex characters. */
  readonly id: string;
  /** Full id of the owning pod sandbox. */
  readonly podSandboxId: string;
  /** Resolved image id, `sha256:…`. */
  readonly imageId: string;
  /** Nanoseconds. */
  readonly createdAt: bigint;
  /** Upper bound on the encoded size of this container's list item, in bytes. */
  readonly sizeHint: number;
  /** The pod checkpoint directory RestorePod made it from; "" when created normally. */
  readonly restoredFrom: string;
}

/** The zero timestamp: not started, not finished. */
export const zeroNs = 0n;
const stateNames: Record<ContainerState, string> = {
  [ContainerState.CONTAINER_CREATED]: "created",
  [ContainerState.CONTAINER_RUNNING]: "running",
  [ContainerState.CONTAINER_EXITED]: "exited",
  [ContainerState.CONTAINER_UNKNOWN]: "unknown",
};

/** Moves between different states that the lifecycle allows. */
const legalMoves = new Set<string>([
  move(ContainerState.CONTAINER_CREATED, ContainerState.CONTAINER_RUNNING),
  move(ContainerState.CONTAINER_RUNNING, ContainerState.CONTAINER_EXITED),
  move(ContainerState.CONTAINER_RUNNING, ContainerState.CONTAINER_UNKNOWN),
  move(ContainerState.CONTAINER_UNKNOWN, ContainerState.CONTAINER_EXITED),
]);

function move(from: ContainerState, to: ContainerState): string {
  return `${from}>${to}`;
}

/**
 * The CRI state of a container, derived from its timestamps exactly like
 * containerd's Status.State(): unknown wins, then finished, started, created.
 */
export function containerState(s: Pick<ContainerStatusFields, "unknown" | "startedAt" | "finishedAt">): ContainerState {
  if (s.unknown) return ContainerState.CONTAINER_UNKNOWN;
  if (s.finishedAt !== zeroNs) return ContainerState.CONTAINER_EXITED;
  if (s.startedAt !== zeroNs) return ContainerState.CONTAINER_RUNNING;
  return ContainerState.CONTAINER_CREATED;
}

/** Lower-case state name for messages ("running"). */
export function containerStateName(state: ContainerState): string {
  return stateNames[state];
}

/** True when the lifecycle allows going from `from` to a different state `to`. */
export function isLegalMove(from: ContainerState, to: ContainerState): boolean {
  return legalMoves.has(move(from, to));
}
