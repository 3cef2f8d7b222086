/**
 * Unique names for sandboxes and containers, built from CRI metadata exactly
 * as containerd's util.MakeSandboxName / MakeContainerName do, so that the
 * same metadata collides here when it would collide there.
 */
import type { ContainerMetadata, PodSandboxMetadata } from "../../../gen/runtime/v1/api_pb.js";

/** `name_namespace_uid_attempt`. */
export function makeSandboxName(meta: PodSandboxMetadata | undefined): string {
  return [meta?.name ?? "", meta?.namespace ?? "", meta?.uid ?? "", String(meta?.attempt ?? 0)].join("_");
}

/**
 * `container_pod_namespace_uid_attempt`: unique per (container name, attempt)
 * within one pod sandbox.
 */
export function makeContainerName(
  meta: ContainerMetadata | undefined,
  sandbox: PodSandboxMetadata | undefined,
): string {
  return [
    meta?.name ?? "",
    sandbox?.name ?? "",
    sandbox?.namespace ?? "",
    sandbox?.uid ?? "",
    String(meta?.attempt ?? 0),
  ].join("_");
}
