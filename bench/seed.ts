/**
 * Kubelet-like pods and containers for the benches: a memory runtime seeded
 * with `pods × containersPerPod` containers whose configs look like what the
 * kubelet sends (metadata, image, a few labels and annotations, log path,
 * one mount, two env vars, linux resources).
 */
import { create } from "@bufbuild/protobuf";
import {
  type CreateContainerRequest,
  CreateContainerRequestSchema,
  type RunPodSandboxRequest,
  RunPodSandboxRequestSchema,
} from "../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../src/core/call-context.js";
import { type MemoryRuntime, createMemoryRuntime } from "../src/runtimes/memory/index.js";

/** The image every bench container runs; present from the start. */
export const benchImage = "docker.io/library/nginx:1.27";
/** The message limit the gateway uses by default (kubelet's). */
export const benchMaxMessageBytes = 16 * 1024 * 1024;

/** A memory runtime with the bench image present. */
export function createBenchRuntime(gatewayUrl: () => string = () => "http://127.0.0.1:0"): MemoryRuntime {
  return createMemoryRuntime({ gatewayUrl, maxMessageBytes: benchMaxMessageBytes, settings: {}, images: [benchImage] });
}

/** Names of pod `i` (namespaces cycle over 20, like a busy node). */
export function podNames(i: number): { name: string; namespace: string; uid: string } {
  const hex = i.toString(16).padStart(8, "0");
  return { name: `web-${hex}`, namespace: `team-${i % 20}`, uid: `6f1c2a7e-${hex.slice(0, 4)}-4b1d-9e2f-${hex}0000` };
}

/** The RunPodSandbox request of pod `i`. */
export function podRequest(i: number): RunPodSandboxRequest {
  const { name, namespace, uid } = podNames(i);
  return create(RunPodSandboxRequestSchema, {
    config: {
      metadata: { name, namespace, uid, attempt: 0 },
      hostname: name,
      logDirectory: `/var/log/pods/${namespace}_${name}_${uid}`,
      labels: {
        app: "web",
        "io.kubernetes.pod.name": name,
        "io.kubernetes.pod.namespace": namespace,
        "io.kubernetes.pod.uid": uid,
      },
      annotations: { "kubernetes.io/config.source": "api" },
      linux: { cgroupParent: `/kubepods/burstable/pod${uid}` },
    },
  });
}

/** The CreateContainer request of container `j` in pod `i`. */
export function containerRequest(podSandboxId: string, i: number, j: number): CreateContainerRequest {
  const { name: podName, namespace, uid } = podNames(i);
  const name = `c${j}`;
  return create(CreateContainerRequestSchema, {
    podSandboxId,
    config: {
      metadata: { name, attempt: 0 },
      image: { image: benchImage },
      command: ["nginx"],
      envs: [
        { key: "POD_NAME", value: Buffer.from(podName) },
        { key: "POD_NAMESPACE", value: Buffer.from(namespace) },
      ],
      mounts: [
        {
          containerPath: "/var/run/secrets/kubernetes.io/serviceaccount",
          hostPath: `/var/lib/kubelet/pods/${uid}/volumes/kubernetes.io~projected/kube-api-access`,
          readonly: true,
        },
      ],
      labels: {
        "io.kubernetes.container.name": name,
        "io.kubernetes.pod.name": podName,
        "io.kubernetes.pod.namespace": namespace,
        "io.kubernetes.pod.uid": uid,
      },
      annotations: {
        "io.kubernetes.container.hash": (i * 31 + j).toString(16).padStart(8, "0"),
        "io.kubernetes.container.restartCount": "0",
        "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
        "io.kubernetes.pod.terminationGracePeriod": "30",
      },
      logPath: `${name}/0.log`,
      linux: {
        resources: { cpuPeriod: 100000n, cpuQuota: 50000n, cpuShares: 512n, memoryLimitInBytes: 268435456n, oomScoreAdj: 999n },
      },
    },
  });
}

/** Create `pods` pods of `containersPerPod` containers each; returns the pod ids. */
export async function seedRuntime(
  core: MemoryRuntime,
  { pods, containersPerPod }: { pods: number; containersPerPod: number },
): Promise<string[]> {
  const ctx = createCallContext();
  const ids: string[] = [];
  for (let i = 0; i < pods; i++) {
    const { podSandboxId } = await core.runPodSandbox(podRequest(i), ctx);
    ids.push(podSandboxId);
    for (let j = 0; j < containersPerPod; j++) await core.createContainer(containerRequest(podSandboxId, i, j), ctx);
  }
  return ids;
}
