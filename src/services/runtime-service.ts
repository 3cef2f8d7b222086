/**
 * RuntimeService requests: the required-field checks for each RPC. Delegation
 * and error mapping are shared by both services, see `service-impl.ts`.
 */
import type { RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import type { RequestChecks } from "./service-impl.js";
import { requireId, requireMessage, requireNonEmpty, requireNonNegative } from "../core/request-checks.js";

/** What each RuntimeService request must carry before it reaches a core. */
export const runtimeChecks: RequestChecks<typeof RuntimeService> = {
  runPodSandbox: (r) => {
    requireMessage(r.config, "config");
    requireMessage(r.config.metadata, "config.metadata");
    requireId(r.config.metadata.name, "config.metadata.name");
  },
  stopPodSandbox: (r) => requireId(r.podSandboxId, "pod_sandbox_id"),
  removePodSandbox: (r) => requireId(r.podSandboxId, "pod_sandbox_id"),
  podSandboxStatus: (r) => requireId(r.podSandboxId, "pod_sandbox_id"),
  createContainer: (r) => {
    requireId(r.podSandboxId, "pod_sandbox_id");
    requireMessage(r.config, "config");
    requireMessage(r.config.metadata, "config.metadata");
    requireId(r.config.metadata.name, "config.metadata.name");
    requireMessage(r.config.image, "config.image");
    requireId(r.config.image.image, "config.image.image");
  },
  startContainer: (r) => requireId(r.containerId, "container_id"),
  stopContainer: (r) => {
    requireId(r.containerId, "container_id");
    requireNonNegative(r.timeout, "timeout");
  },
  removeContainer: (r) => requireId(r.containerId, "container_id"),
  containerStatus: (r) => requireId(r.containerId, "container_id"),
  updateContainerResources: (r) => requireId(r.containerId, "container_id"),
  reopenContainerLog: (r) => requireId(r.containerId, "container_id"),
  execSync: (r) => {
    requireId(r.containerId, "container_id");
    requireNonEmpty(r.cmd, "cmd");
    requireNonNegative(r.timeout, "timeout");
  },
  exec: (r) => {
    requireId(r.containerId, "container_id");
    requireNonEmpty(r.cmd, "cmd");
  },
  attach: (r) => requireId(r.containerId, "container_id"),
  portForward: (r) => requireId(r.podSandboxId, "pod_sandbox_id"),
  containerStats: (r) => requireId(r.containerId, "container_id"),
  podSandboxStats: (r) => requireId(r.podSandboxId, "pod_sandbox_id"),
  checkpointContainer: (r) => requireId(r.containerId, "container_id"),
  checkpointPod: (r) => {
    requireId(r.podSandboxId, "pod_sandbox_id");
    requireId(r.outputPath, "output_path");
    requireNonEmpty(r.containerIds, "container_ids");
  },
  restorePod: (r) => {
    requireId(r.checkpointPath, "checkpoint_path");
    requireMessage(r.config, "config");
    requireMessage(r.config.metadata, "config.metadata");
    requireId(r.config.metadata.name, "config.metadata.name");
    requireNonEmpty(r.containerConfigs, "container_configs");
  },
  updatePodSandboxResources: (r) => requireId(r.podSandboxId, "pod_sandbox_id"),
  updateRuntimeConfig: (r) => requireMessage(r.runtimeConfig, "runtime_config"),
};
