/**
 * CRI views of a pod sandbox record: the list item (`PodSandbox`), the full
 * `PodSandboxStatus`, and the size bound used to chunk streams. Messages share
 * the stored config objects by reference; treat them as read-only.
 */
import { create } from "@bufbuild/protobuf";
import {
  type PodSandbox,
  type PodSandboxConfig,
  PodSandboxSchema,
  type PodSandboxStatus,
  PodSandboxStatusSchema,
} from "../../../../gen/runtime/v1/api_pb.js";
import { fieldOverhead, sizeOfString, sizeOfStringMap, varintFieldSize } from "../message-size.js";
import { type SandboxRecord, sandboxState } from "./sandbox-store.js";

/** The list item for a sandbox. */
export function toCriPodSandbox(record: SandboxRecord): PodSandbox {
  return create(PodSandboxSchema, {
    id: record.id,
    metadata: record.config.metadata,
    state: sandboxState(record),
    createdAt: record.createdAt,
    labels: record.config.labels,
    annotations: record.config.annotations,
    runtimeHandler: record.runtimeHandler,
  });
}

/** The full status, with the network and namespace options containerd reports. */
export function toCriPodSandboxStatus(record: SandboxRecord): PodSandboxStatus {
  return create(PodSandboxStatusSchema, {
    id: record.id,
    metadata: record.config.metadata,
    state: sandboxState(record),
    createdAt: record.createdAt,
    network: { ip: record.ip },
    linux: { namespaces: { options: record.config.linux?.securityContext?.namespaceOptions } },
    labels: record.config.labels,
    annotations: record.config.annotations,
    runtimeHandler: record.runtimeHandler,
  });
}

/** Upper bound on the encoded size of this sandbox's `PodSandbox` list item. */
export function sandboxSizeHint(id: string, runtimeHandler: string, config: PodSandboxConfig): number {
  const meta = config.metadata;
  const metadata =
    fieldOverhead +
    sizeOfString(meta?.name ?? "") +
    sizeOfString(meta?.uid ?? "") +
    sizeOfString(meta?.namespace ?? "") +
    varintFieldSize;
  return (
    fieldOverhead +
    sizeOfString(id) +
    metadata +
    2 * varintFieldSize +
    sizeOfStringMap(config.labels) +
    sizeOfStringMap(config.annotations) +
    sizeOfString(runtimeHandler)
  );
}
