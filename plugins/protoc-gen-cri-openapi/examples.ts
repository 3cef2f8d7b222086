/**
 * Example requests for the common CRI methods, in canonical JSON. The
 * document builder parses each one with protobuf-es (unknown fields
 * rejected), so a typo here fails generation instead of shipping.
 */
import type { JsonValue } from "./openapi-types.js";

/** One example request body. */
export interface RequestExample {
  /** The request message as JSON. */
  value: JsonValue;
  /**
   * True when the example is a valid call on its own against a fresh gateway;
   * false when it names an id (`<container-id>`, `<pod-sandbox-id>`) that the
   * caller must first get from RunPodSandbox or CreateContainer. Written to the
   * operation as `x-example-standalone`, so test runners can tell them apart.
   */
  standalone: boolean;
}

// NOTE: ids are placeholders in angle brackets, which no runtime hands out.
// Stop* and Remove* succeed for unknown ids (CRI requires them to be
// idempotent), so those examples are valid calls even with a placeholder.
const podId = "<pod-sandbox-id>";
const containerId = "<container-id>";

const podConfig = {
  metadata: { name: "nginx", uid: "4c1f5a2e-0d7b-4f7e-9a55-2b1f7c3d9e10", namespace: "default" },
  hostname: "nginx",
  logDirectory: "/var/log/pods/default_nginx_4c1f5a2e-0d7b-4f7e-9a55-2b1f7c3d9e10",
  labels: { app: "nginx" },
};

/**
 * Example requests keyed by `Service/Method`, e.g. `RuntimeService/Version`:
 * one for every unary method, since each becomes its request schema's
 * `default` too (what Postman's import sends; see document.ts).
 */
export const requestExamples: Readonly<Record<string, RequestExample>> = {
  "RuntimeService/Version": { value: {}, standalone: true },
  "RuntimeService/RunPodSandbox": { value: { config: podConfig }, standalone: true },
  "RuntimeService/StopPodSandbox": { value: { podSandboxId: podId }, standalone: true },
  "RuntimeService/RemovePodSandbox": { value: { podSandboxId: podId }, standalone: true },
  "RuntimeService/PodSandboxStatus": { value: { podSandboxId: podId }, standalone: false },
  "RuntimeService/ListPodSandbox": { value: {}, standalone: true },
  "RuntimeService/CreateContainer": {
    value: {
      podSandboxId: podId,
      config: {
        metadata: { name: "web" },
        image: { image: "busybox" },
        command: ["sleep", "3600"],
        logPath: "web/0.log",
      },
      sandboxConfig: podConfig,
    },
    standalone: false,
  },
  "RuntimeService/StartContainer": { value: { containerId }, standalone: false },
  "RuntimeService/StopContainer": { value: { containerId, timeout: "10" }, standalone: true },
  "RuntimeService/RemoveContainer": { value: { containerId }, standalone: true },
  "RuntimeService/ListContainers": { value: {}, standalone: true },
  "RuntimeService/ContainerStatus": { value: { containerId }, standalone: false },
  "RuntimeService/ExecSync": { value: { containerId, cmd: ["echo", "hello"], timeout: "5" }, standalone: false },
  "RuntimeService/UpdateContainerResources": {
    value: { containerId, linux: { cpuShares: "512", memoryLimitInBytes: "268435456" } },
    standalone: false,
  },
  "RuntimeService/ReopenContainerLog": { value: { containerId }, standalone: false },
  "RuntimeService/Exec": { value: { containerId, cmd: ["sh"], tty: true, stdin: true, stdout: true }, standalone: false },
  "RuntimeService/Attach": { value: { containerId, stdin: true, stdout: true, stderr: true }, standalone: false },
  "RuntimeService/PortForward": { value: { podSandboxId: podId, port: [8080] }, standalone: false },
  "RuntimeService/ContainerStats": { value: { containerId }, standalone: false },
  "RuntimeService/PodSandboxStats": { value: { podSandboxId: podId }, standalone: false },
  "RuntimeService/UpdateRuntimeConfig": {
    value: { runtimeConfig: { networkConfig: { podCidr: "10.88.0.0/16" } } },
    standalone: true,
  },
  "RuntimeService/CheckpointContainer": {
    value: { containerId, location: "/var/lib/checkpoints/web.tar", timeout: "30" },
    standalone: false,
  },
  "RuntimeService/UpdatePodSandboxResources": {
    value: { podSandboxId: podId, resources: { cpuShares: "1024" } },
    standalone: false,
  },
  "RuntimeService/ListContainerStats": { value: {}, standalone: true },
  "RuntimeService/ListPodSandboxStats": { value: {}, standalone: true },
  "RuntimeService/Status": { value: {}, standalone: true },
  "RuntimeService/RuntimeConfig": { value: {}, standalone: true },
  "RuntimeService/ListMetricDescriptors": { value: {}, standalone: true },
  "RuntimeService/ListPodSandboxMetrics": { value: {}, standalone: true },
  "ImageService/ListImages": { value: {}, standalone: true },
  "ImageService/ImageStatus": { value: { image: { image: "busybox" } }, standalone: true },
  "ImageService/PullImage": { value: { image: { image: "busybox" } }, standalone: true },
  "ImageService/RemoveImage": { value: { image: { image: "busybox" } }, standalone: true },
  "ImageService/ImageFsInfo": { value: {}, standalone: true },
};
