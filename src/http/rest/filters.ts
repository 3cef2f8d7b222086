/**
 * Query parameters → CRI list filters for the REST routes: `state` by short
 * name (`ready`, `running`) or enum name (`SANDBOX_READY`,
 * `CONTAINER_RUNNING`), repeated `label=key=value` (all must match, as in
 * CRI's label_selector), `id` and `pod` (full ids or unique prefixes; the core
 * resolves them).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  ContainerState,
  type ContainerFilterSchema,
  type ImageFilterSchema,
  PodSandboxState,
  type PodSandboxFilterSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../core/core-error.js";
import type { RestQuery } from "./query.js";

/** Query parameters {@link toPodSandboxFilter} reads. */
export const podFilterParams = ["state", "label", "id"] as const;
/** Query parameters {@link toContainerFilter} reads. */
export const containerFilterParams = ["state", "pod", "label", "id"] as const;
/** Query parameters {@link toImageFilter} reads. */
export const imageFilterParams = ["image"] as const;

const podStates: Record<string, PodSandboxState> = {
  ready: PodSandboxState.SANDBOX_READY,
  notready: PodSandboxState.SANDBOX_NOTREADY,
  sandbox_ready: PodSandboxState.SANDBOX_READY,
  sandbox_notready: PodSandboxState.SANDBOX_NOTREADY,
};

const containerStates: Record<string, ContainerState> = {
  created: ContainerState.CONTAINER_CREATED,
  running: ContainerState.CONTAINER_RUNNING,
  exited: ContainerState.CONTAINER_EXITED,
  unknown: ContainerState.CONTAINER_UNKNOWN,
  container_created: ContainerState.CONTAINER_CREATED,
  container_running: ContainerState.CONTAINER_RUNNING,
  container_exited: ContainerState.CONTAINER_EXITED,
  container_unknown: ContainerState.CONTAINER_UNKNOWN,
};

/** The ListPodSandbox filter of a query; undefined when it filters nothing. Throws invalid_argument. */
export function toPodSandboxFilter(query: RestQuery): MessageInitShape<typeof PodSandboxFilterSchema> | undefined {
  const state = query.text("state");
  const id = query.text("id");
  const labelSelector = parseLabelSelector(query.all("label"));
  if (state === undefined && id === undefined && labelSelector === undefined) return undefined;
  return {
    id,
    state: state === undefined ? undefined : { state: parseState(state, podStates, "ready, notready") },
    labelSelector,
  };
}

/** The ListContainers filter of a query; undefined when it filters nothing. Throws invalid_argument. */
export function toContainerFilter(query: RestQuery): MessageInitShape<typeof ContainerFilterSchema> | undefined {
  const state = query.text("state");
  const id = query.text("id");
  const podSandboxId = query.text("pod");
  const labelSelector = parseLabelSelector(query.all("label"));
  if (state === undefined && id === undefined && podSandboxId === undefined && labelSelector === undefined) {
    return undefined;
  }
  return {
    id,
    podSandboxId,
    state:
      state === undefined ? undefined : { state: parseState(state, containerStates, "created, running, exited, unknown") },
    labelSelector,
  };
}

/** The ListImages filter of a query (`image=REF`); undefined when it filters nothing. */
export function toImageFilter(query: RestQuery): MessageInitShape<typeof ImageFilterSchema> | undefined {
  const image = query.text("image");
  return image === undefined ? undefined : { image: { image } };
}

/**
 * Turn repeated `key=value` texts into a label selector; undefined for none.
 * The value may itself contain "=" (only the first one splits). Throws
 * invalid_argument for a missing "=", an empty key, or a key given twice.
 */
export function parseLabelSelector(texts: readonly string[]): Record<string, string> | undefined {
  if (texts.length === 0) return undefined;
  const selector: Record<string, string> = {};
  for (const text of texts) {
    const eq = text.indexOf("=");
    if (eq <= 0) {
      throw new CoreError("invalid_argument", `query parameter "label" must be key=value, got "${text}"`);
    }
    const key = text.slice(0, eq);
    // NOTE: a selector is a map, so two values for one key could never both
    // match; refusing says so instead of returning an empty list.
    if (Object.hasOwn(selector, key)) {
      throw new CoreError("invalid_argument", `label "${key}" given more than once`);
    }
    selector[key] = text.slice(eq + 1);
  }
  return selector;
}

function parseState<T>(text: string, names: Record<string, T>, expected: string): T {
  const key = text.toLowerCase();
  const state = Object.hasOwn(names, key) ? names[key] : undefined;
  if (state === undefined) {
    throw new CoreError("invalid_argument", `query parameter "state" must be one of ${expected}, got "${text}"`);
  }
  return state;
}
