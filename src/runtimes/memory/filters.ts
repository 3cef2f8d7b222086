/**
 * CRI list filters turned into store selectors. Id and pod sandbox id filters
 * accept unique prefixes; an unknown or ambiguous one matches nothing, as
 * containerd's list filters do.
 */
import type {
  ContainerFilter,
  ContainerStatsFilter,
  PodSandboxFilter,
  PodSandboxStatsFilter,
} from "../../../gen/runtime/v1/api_pb.js";
import type { MemoryState } from "./state.js";
import type { ContainerSelector } from "./store/container-store.js";
import type { SandboxSelector } from "./store/sandbox-store.js";

/** The selector for a container (or container stats) filter; undefined when nothing can match. */
export function toContainerSelector(
  state: MemoryState,
  filter: ContainerFilter | ContainerStatsFilter | undefined,
): ContainerSelector | undefined {
  if (filter === undefined) return {};
  let podSandboxId: string | undefined;
  if (filter.podSandboxId !== "") {
    podSandboxId = state.sandboxes.match(filter.podSandboxId)?.id;
    if (podSandboxId === undefined) return undefined;
  }
  return {
    id: filter.id === "" ? undefined : filter.id,
    podSandboxId,
    state: "state" in filter ? filter.state?.state : undefined,
    labels: nonEmpty(filter.labelSelector),
  };
}

/** The selector for a sandbox (or sandbox stats) filter. */
export function toSandboxSelector(filter: PodSandboxFilter | PodSandboxStatsFilter | undefined): SandboxSelector {
  if (filter === undefined) return {};
  return {
    id: filter.id === "" ? undefined : filter.id,
    state: "state" in filter ? filter.state?.state : undefined,
    labels: nonEmpty(filter.labelSelector),
  };
}

function nonEmpty(map: Record<string, string>): Record<string, string> | undefined {
  for (const _ in map) return map;
  return undefined;
}
