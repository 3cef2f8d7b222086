/**
 * The container store: records, their id/pod/label/image indexes, and the one
 * `update(id, fn)` through which every state transition passes. The state is
 * never stored; it is read off the timestamps, as in containerd's
 * internal/cri/store/container/status.go:
 *
 *                  Create
 *                    |
 *               +----v----+
 *               |         |   Stop (no-op)
 *               | CREATED |-------------+
 *               |         |<------------+
 *               +----+----+
 *                    | Start (startedAt set)
 *               +----v----+
 *  Exec/Attach  |         |
 *  LogReopen  ->| RUNNING |----------------+
 *  Update       |         |  lost          |
 *               +----+----+  (unknown set) |
 *                    |                +----v----+
 *                    | Stop/Exit      |         |
 *                    | (finishedAt)   | UNKNOWN |
 *               +----v----+    Stop   |         |
 *               |         |<----------+---------+
 *               | EXITED  |
 *               |         |
 *               +----+----+
 *                    | Remove (CREATED, EXITED only; the verb stops first)
 *                    v
 *                 DELETED
 *
 * startedAt and finishedAt are written once; setting one that is already set
 * (starting a running or exited container) is rejected as failed_precondition.
 */
import { type ContainerConfig, ContainerState } from "../../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../../core/core-error.js";
import { keepContainerConfig } from "./container-config.js";
import {
  type ContainerRecord,
  type ContainerStatusFields,
  containerState,
  containerStateName,
  isLegalMove,
  zeroNs,
} from "./container-status.js";
import { createIdIndex } from "./id-index.js";
import { createLabelIndex, createSetIndex, intersect } from "./set-index.js";

export {
  type ContainerRecord,
  type ContainerStatusFields,
  containerState,
  containerStateName,
} from "./container-status.js";

/** What {@link ContainerStore.add} needs. */
export interface ContainerInit {
  readonly id: string;
  readonly podSandboxId: string;
  /** Split by keepContainerConfig; the request's parts are kept by reference. */
  readonly config: ContainerConfig;
  readonly imageId: string;
  readonly createdAt: bigint;
  readonly sizeHint: number;
  /** The pod checkpoint (RestorePod) the container came from; default "". */
  readonly restoredFrom?: string;
}

/** A lifecycle change, reported to the store's listener as it happens. */
export type ContainerChange = "created" | "started" | "stopped" | "deleted";

/** Which containers a list wants; set fields are ANDed. */
export interface ContainerSelector {
  /** Full id or unique prefix; an unknown or ambiguous prefix matches nothing (as in containerd). */
  readonly id?: string;
  /** Full pod sandbox id (resolve prefixes through the sandbox store first). */
  readonly podSandboxId?: string;
  readonly state?: ContainerState;
  /** Every pair must match. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Owns every container record; verbs go through it and never touch its maps. */
export interface ContainerStore {
  readonly size: number;
  /** Insert a new CREATED container and report "created". */
  add(init: ContainerInit): ContainerRecord;
  /** The container with exactly this id. */
  get(id: string): ContainerRecord | undefined;
  /** Resolve an id or unique prefix; throws like IdIndex.resolve (not_found, invalid_argument). */
  resolve(prefix: string): ContainerRecord;
  /** Like resolve, but an unknown id gives undefined (for idempotent Stop/Remove). */
  find(prefix: string): ContainerRecord | undefined;
  /**
   * Apply the status changes `fn` returns. Rejects illegal moves with
   * failed_precondition (see the diagram) and reports "started"/"stopped".
   */
  update(id: string, fn: (current: ContainerRecord) => Partial<ContainerStatusFields>): ContainerRecord;
  /** Remove a CREATED or EXITED container and report "deleted"; unknown ids are ignored. */
  delete(id: string): void;
  /** Containers of one pod sandbox. */
  inSandbox(podSandboxId: string): ContainerRecord[];
  /** Containers matching `selector`, answered from indexes when it has a pod or label filter. */
  select(selector: ContainerSelector): ContainerRecord[];
  /** Every container, in creation order. */
  all(): IterableIterator<ContainerRecord>;
  /** Number of containers (of any state) created from `imageId`. */
  imageUsers(imageId: string): number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Create an empty store. `onChange` is called synchronously for every
 * lifecycle change, after the store is consistent; the event stream hangs off it.
 */
export function createContainerStore({
  onChange = () => {},
}: { onChange?: (change: ContainerChange, record: ContainerRecord) => void } = {}): ContainerStore {
  const records = new Map<string, Mutable<ContainerRecord>>();
  const ids = createIdIndex({ noun: "container" });
  const byPod = createSetIndex();
  const byLabel = createLabelIndex();
  const imageUse = new Map<string, number>();

  const resolve = (prefix: string): Mutable<ContainerRecord> => {
    const record = records.get(ids.resolve(prefix));
    if (record === undefined) throw new CoreError("not_found", `container "${prefix}" not found`);
    return record;
  };

  const matches = (record: ContainerRecord, selector: ContainerSelector): boolean => {
    if (selector.podSandboxId !== undefined && record.podSandboxId !== selector.podSandboxId) return false;
    if (selector.state !== undefined && containerState(record) !== selector.state) return false;
    if (selector.labels !== undefined) {
      const labels = record.labels;
      for (const key in selector.labels) if (labels[key] !== selector.labels[key]) return false;
    }
    return true;
  };

  return {
    get size() {
      return records.size;
    },
    add(init) {
      if (records.has(init.id)) throw new CoreError("already_exists", `container "${init.id}" already exists`);
      const kept = keepContainerConfig(init.config);
      // Every field is set here, in one order, so all records share one shape.
      const record: Mutable<ContainerRecord> = {
        id: init.id,
        podSandboxId: init.podSandboxId,
        metadata: kept.metadata,
        image: kept.image,
        labels: kept.labels,
        annotations: kept.annotations,
        stopSignal: kept.stopSignal,
        createdLimits: kept.createdLimits,
        configRest: kept.configRest,
        imageId: init.imageId,
        createdAt: init.createdAt,
        sizeHint: init.sizeHint,
        restoredFrom: init.restoredFrom ?? "",
        startedAt: zeroNs,
        finishedAt: zeroNs,
        exitCode: 0,
        reason: "",
        message: "",
        unknown: false,
        resources: undefined,
        checkpoint: "",
        logReopens: 0,
      };
      ids.add(record.id);
      records.set(record.id, record);
      byPod.add(record.podSandboxId, record.id);
      byLabel.add(record.id, record.labels);
      imageUse.set(record.imageId, (imageUse.get(record.imageId) ?? 0) + 1);
      onChange("created", record);
      return record;
    },
    get: (id) => records.get(id),
    resolve,
    find(prefix) {
      try {
        return resolve(prefix);
      } catch (err) {
        if (err instanceof CoreError && err.kind === "not_found") return undefined;
        throw err;
      }
    },
    update(id, fn) {
      const record = records.get(id);
      if (record === undefined) throw new CoreError("not_found", `container "${id}" not found`);
      const change = fn(record);
      const before = containerState(record);
      const after = containerState({
        unknown: change.unknown ?? record.unknown,
        startedAt: change.startedAt ?? record.startedAt,
        finishedAt: change.finishedAt ?? record.finishedAt,
      });
      const rewritesStart = change.startedAt !== undefined && record.startedAt !== zeroNs;
      const rewritesFinish = change.finishedAt !== undefined && record.finishedAt !== zeroNs;
      if (rewritesStart || rewritesFinish || (before !== after && !isLegalMove(before, after))) {
        const action =
          change.startedAt !== undefined
            ? "start"
            : change.finishedAt !== undefined
              ? "stop"
              : change.unknown === true
                ? "mark unknown"
                : "update";
        throw new CoreError(
          "failed_precondition",
          `cannot ${action} container "${id}": it is ${containerStateName(before)}`,
        );
      }
      if (change.startedAt !== undefined && change.startedAt < record.createdAt) {
        throw new CoreError("internal", `container "${id}" would start before it was created`);
      }
      if (change.finishedAt !== undefined && change.finishedAt < (change.startedAt ?? record.startedAt)) {
        throw new CoreError("internal", `container "${id}" would finish before it started`);
      }
      if (change.startedAt !== undefined) record.startedAt = change.startedAt;
      if (change.finishedAt !== undefined) record.finishedAt = change.finishedAt;
      if (change.exitCode !== undefined) record.exitCode = change.exitCode;
      if (change.reason !== undefined) record.reason = change.reason;
      if (change.message !== undefined) record.message = change.message;
      if (change.unknown !== undefined) record.unknown = change.unknown;
      if (change.resources !== undefined) record.resources = change.resources;
      if (change.checkpoint !== undefined) record.checkpoint = change.checkpoint;
      if (change.logReopens !== undefined) record.logReopens = change.logReopens;
      if (before !== after) {
        if (after === ContainerState.CONTAINER_RUNNING) onChange("started", record);
        else if (after === ContainerState.CONTAINER_EXITED) onChange("stopped", record);
      }
      return record;
    },
    delete(id) {
      const record = records.get(id);
      if (record === undefined) return;
      const state = containerState(record);
      if (state === ContainerState.CONTAINER_RUNNING || state === ContainerState.CONTAINER_UNKNOWN) {
        throw new CoreError("failed_precondition", `cannot remove container "${id}": it is ${containerStateName(state)}`);
      }
      records.delete(id);
      ids.delete(id);
      byPod.delete(record.podSandboxId, id);
      byLabel.delete(id, record.labels);
      const users = (imageUse.get(record.imageId) ?? 1) - 1;
      if (users === 0) imageUse.delete(record.imageId);
      else imageUse.set(record.imageId, users);
      onChange("deleted", record);
    },
    inSandbox(podSandboxId) {
      const set = byPod.get(podSandboxId);
      if (set === undefined) return [];
      const out: ContainerRecord[] = [];
      for (const id of set) out.push(records.get(id) as ContainerRecord);
      return out;
    },
    select(selector) {
      let candidates: Iterable<string> | undefined;
      if (selector.id !== undefined && selector.id !== "") {
        const id = ids.tryResolve(selector.id);
        candidates = id === undefined ? [] : [id];
      } else {
        const sets: ReadonlySet<string>[] = [];
        if (selector.podSandboxId !== undefined) {
          const pod = byPod.get(selector.podSandboxId);
          if (pod === undefined) return [];
          sets.push(pod);
        }
        if (selector.labels !== undefined) {
          const labelled = byLabel.sets(selector.labels);
          if (labelled === undefined) return [];
          sets.push(...labelled);
        }
        // NOTE: with no index-backed filter this is the one full scan; a
        // state-only filter has to look at every container anyway.
        if (sets.length > 0) candidates = intersect(sets);
      }
      const out: ContainerRecord[] = [];
      if (candidates === undefined) {
        for (const record of records.values()) if (matches(record, selector)) out.push(record);
        return out;
      }
      for (const id of candidates) {
        const record = records.get(id);
        if (record !== undefined && matches(record, selector)) out.push(record);
      }
      return out;
    },
    all: () => records.values(),
    imageUsers: (imageId) => imageUse.get(imageId) ?? 0,
  };
}
