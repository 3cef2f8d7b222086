/**
 * The pod sandbox store: records, their id and label indexes, and the one
 * `update(id, fn)` through which a sandbox changes. A sandbox is READY from
 * RunPodSandbox until StopPodSandbox sets `stoppedAt` (written once); it is
 * then NOTREADY until removed. Removal needs a stopped sandbox with no
 * containers left (the verbs cascade first).
 */
import { PodSandboxState } from "../../../../gen/runtime/v1/api_pb.js";
import type { LinuxContainerResources, PodSandboxConfig } from "../../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../../core/core-error.js";
import { createIdIndex } from "./id-index.js";
import { createLabelIndex, intersect } from "./set-index.js";

/** The mutable part of a sandbox; changed only by {@link SandboxStore.update}. */
export interface SandboxStatusFields {
  /** Nanoseconds; 0n while READY. */
  readonly stoppedAt: bigint;
  /** Pod overhead from UpdatePodSandboxResources (or the create config). */
  readonly overhead: LinuxContainerResources | undefined;
  /** Pod resources from UpdatePodSandboxResources (or the create config). */
  readonly resources: LinuxContainerResources | undefined;
}

/** A stored pod sandbox. The config is the request's own, kept by reference. */
export interface SandboxRecord extends SandboxStatusFields {
  /** 64 hex characters. */
  readonly id: string;
  readonly config: PodSandboxConfig;
  readonly runtimeHandler: string;
  /** Nanoseconds. */
  readonly createdAt: bigint;
  /** Primary pod IP; "" for host-network pods. */
  readonly ip: string;
  /** Upper bound on the encoded size of this sandbox's list item, in bytes. */
  readonly sizeHint: number;
}

/** What {@link SandboxStore.add} needs. */
export interface SandboxInit {
  readonly id: string;
  readonly config: PodSandboxConfig;
  readonly runtimeHandler: string;
  readonly createdAt: bigint;
  readonly ip: string;
  readonly sizeHint: number;
}

/** A lifecycle change, reported to the store's listener as it happens. */
export type SandboxChange = "created" | "stopped" | "deleted";

/** Which sandboxes a list wants; set fields are ANDed. */
export interface SandboxSelector {
  /** Full id or unique prefix; an unknown or ambiguous prefix matches nothing. */
  readonly id?: string;
  readonly state?: PodSandboxState;
  readonly labels?: Readonly<Record<string, string>>;
}

/** Owns every sandbox record; verbs go through it and never touch its maps. */
export interface SandboxStore {
  readonly size: number;
  /** Insert a READY sandbox and report "created". */
  add(init: SandboxInit): SandboxRecord;
  get(id: string): SandboxRecord | undefined;
  /** Resolve an id or unique prefix; throws not_found / invalid_argument. */
  resolve(prefix: string): SandboxRecord;
  /** Like resolve, but an unknown id gives undefined (for idempotent Stop/Remove). */
  find(prefix: string): SandboxRecord | undefined;
  /** The sandbox a filter's id prefix names: undefined when empty, unknown or ambiguous. */
  match(prefix: string): SandboxRecord | undefined;
  /** Apply status changes; rejects illegal moves with failed_precondition; reports "stopped". */
  update(id: string, fn: (current: SandboxRecord) => Partial<SandboxStatusFields>): SandboxRecord;
  /** Remove a NOTREADY sandbox and report "deleted"; unknown ids are ignored. */
  delete(id: string, containersLeft: number): void;
  /** Sandboxes matching `selector`, from the label index when it has labels. */
  select(selector: SandboxSelector): SandboxRecord[];
  all(): IterableIterator<SandboxRecord>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const zeroNs = 0n;

/** READY until stopped, then NOTREADY. */
export function sandboxState(s: Pick<SandboxStatusFields, "stoppedAt">): PodSandboxState {
  return s.stoppedAt === zeroNs ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY;
}

/** Create an empty store; `onChange` is called synchronously after each change. */
export function createSandboxStore({
  onChange = () => {},
}: { onChange?: (change: SandboxChange, record: SandboxRecord) => void } = {}): SandboxStore {
  const records = new Map<string, Mutable<SandboxRecord>>();
  const ids = createIdIndex({ noun: "pod sandbox" });
  const byLabel = createLabelIndex();

  const resolve = (prefix: string): Mutable<SandboxRecord> => {
    const record = records.get(ids.resolve(prefix));
    if (record === undefined) throw new CoreError("not_found", `pod sandbox "${prefix}" not found`);
    return record;
  };

  const matches = (record: SandboxRecord, selector: SandboxSelector): boolean => {
    if (selector.state !== undefined && sandboxState(record) !== selector.state) return false;
    if (selector.labels !== undefined) {
      const labels = record.config.labels;
      for (const key in selector.labels) if (labels[key] !== selector.labels[key]) return false;
    }
    return true;
  };

  return {
    get size() {
      return records.size;
    },
    add(init) {
      if (records.has(init.id)) throw new CoreError("already_exists", `pod sandbox "${init.id}" already exists`);
      const record: Mutable<SandboxRecord> = {
        id: init.id,
        config: init.config,
        runtimeHandler: init.runtimeHandler,
        createdAt: init.createdAt,
        ip: init.ip,
        sizeHint: init.sizeHint,
        stoppedAt: zeroNs,
        overhead: init.config.linux?.overhead,
        resources: init.config.linux?.resources,
      };
      ids.add(record.id);
      records.set(record.id, record);
      byLabel.add(record.id, record.config.labels);
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
    match(prefix) {
      const id = ids.tryResolve(prefix);
      return id === undefined ? undefined : records.get(id);
    },
    update(id, fn) {
      const record = records.get(id);
      if (record === undefined) throw new CoreError("not_found", `pod sandbox "${id}" not found`);
      const change = fn(record);
      if (change.stoppedAt !== undefined && record.stoppedAt !== zeroNs) {
        throw new CoreError("failed_precondition", `cannot stop pod sandbox "${id}": it is not ready`);
      }
      if (change.stoppedAt !== undefined && change.stoppedAt < record.createdAt) {
        throw new CoreError("internal", `pod sandbox "${id}" would stop before it was created`);
      }
      const stopping = change.stoppedAt !== undefined;
      if (change.stoppedAt !== undefined) record.stoppedAt = change.stoppedAt;
      if (change.overhead !== undefined) record.overhead = change.overhead;
      if (change.resources !== undefined) record.resources = change.resources;
      if (stopping) onChange("stopped", record);
      return record;
    },
    delete(id, containersLeft) {
      const record = records.get(id);
      if (record === undefined) return;
      if (record.stoppedAt === zeroNs) {
        throw new CoreError("failed_precondition", `cannot remove pod sandbox "${id}": it is ready`);
      }
      if (containersLeft > 0) {
        throw new CoreError(
          "failed_precondition",
          `cannot remove pod sandbox "${id}": it still has ${containersLeft} containers`,
        );
      }
      records.delete(id);
      ids.delete(id);
      byLabel.delete(id, record.config.labels);
      onChange("deleted", record);
    },
    select(selector) {
      let candidates: Iterable<string> | undefined;
      if (selector.id !== undefined && selector.id !== "") {
        const id = ids.tryResolve(selector.id);
        candidates = id === undefined ? [] : [id];
      } else if (selector.labels !== undefined && Object.keys(selector.labels).length > 0) {
        const sets = byLabel.sets(selector.labels);
        if (sets === undefined) return [];
        candidates = intersect(sets);
      }
      const out: SandboxRecord[] = [];
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
  };
}
