/**
 * Every unary CRI method called through an openapi-fetch client typed by
 * openapi-typescript from the OpenAPI document, in the order a kubelet would
 * call them, with real arguments and assertions on the answers. Request
 * bodies are typed by the document, so a call the document does not allow
 * fails to compile; the test type-checks this file against freshly generated
 * types. Response bodies are checked against the document's schemas by the
 * client's middleware (see typed-client.test.ts), not here.
 *
 * Imports nothing of the gateway on purpose: it sees the API only through
 * the document.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "openapi-fetch";
// @ts-ignore -- made by `npm run openapi-types` (run by `npm test` and by the
// typed-client test itself, which then type-checks this file strictly); the
// ignore only keeps a bare `tsc` on a fresh clone, before any generation, green.
import type { paths } from "./.generated/cri-openapi.js";

/** A client for the document's paths. */
export type CriOpenApiClient = Client<paths>;

/** What the story needs besides the client. */
export interface TypedStoryOptions {
  /** The gateway's base URL; Exec/Attach/PortForward URLs point at it. */
  readonly gatewayUrl: string;
  /** Unique per run, carried by names, uids, labels and the image tag. */
  readonly suffix: string;
}

type Result<T> = { data: T; error?: never; response: Response } | { data?: never; error: unknown; response: Response };

/** The body of a 200 answer; fails on anything else. */
async function ok<T>(call: Promise<Result<T>>): Promise<NonNullable<T>> {
  const { data, error, response } = await call;
  if (response.status !== 200 || data === undefined || data === null) {
    assert.fail(`${new URL(response.url).pathname}: HTTP ${response.status} ${JSON.stringify(error)}`);
  }
  return data;
}

/** The Connect error of a failed call, checked for status and code. */
async function fails(call: Promise<Result<unknown>>, status: number, code: string, message?: RegExp): Promise<void> {
  const { error, response } = await call;
  assert.equal(response.status, status, `${new URL(response.url).pathname} answered ${response.status}, expected ${status}`);
  const body = error as { code?: unknown; message?: unknown };
  assert.equal(body.code, code);
  if (message !== undefined) assert.match(String(body.message), message);
}

const text = (base64: string | undefined) => Buffer.from(base64 ?? "", "base64").toString("utf8");

/** Run the story. Give it a gateway of its own: it checks that its pod and container are the only ones with its label. */
export async function runTypedStory(client: CriOpenApiClient, { gatewayUrl, suffix }: TypedStoryOptions): Promise<void> {
  const runLabel = { "openapi.cri-gateway/run": suffix };
  const imageRef = `docker.io/library/busybox:openapi-${suffix}`;

  // Runtime information, and the GET form of side-effect-free methods.
  const version = await ok(client.POST("/runtime.v1.RuntimeService/Version", { body: { version: "v1" } }));
  assert.equal(version.runtimeApiVersion, "v1");
  const viaGet = await ok(
    client.GET("/runtime.v1.RuntimeService/Version", {
      params: { query: { connect: "v1", encoding: "json", message: JSON.stringify({ version: "v1" }) } },
    }),
  );
  assert.deepEqual(viaGet, version, "GET and POST answer alike");
  const status = await ok(client.POST("/runtime.v1.RuntimeService/Status", { body: {} }));
  assert.equal(status.status?.conditions?.find((c) => c.type === "RuntimeReady")?.status, true);
  const config = await ok(client.POST("/runtime.v1.RuntimeService/RuntimeConfig", { body: {} }));
  assert.ok(config.linux, "linux runtime config present");
  // SYSTEMD is the enum's first value, i.e. the default, which JSON omits.
  assert.equal(config.linux.cgroupDriver ?? "SYSTEMD", "SYSTEMD");
  await ok(
    client.POST("/runtime.v1.RuntimeService/UpdateRuntimeConfig", {
      body: { runtimeConfig: { networkConfig: { podCidr: "10.124.0.0/16" } } },
    }),
  );
  const fsInfo = await ok(client.POST("/runtime.v1.ImageService/ImageFsInfo", { body: {} }));
  assert.ok(BigInt(fsInfo.imageFilesystems?.[0]?.usedBytes?.value ?? "0") > 0n, "image fs has bytes in use (uint64 as a string)");

  // Images.
  const pulled = await ok(client.POST("/runtime.v1.ImageService/PullImage", { body: { image: { image: imageRef } } }));
  const imageId = pulled.imageRef ?? "";
  assert.match(imageId, /^sha256:[0-9a-f]{64}$/);
  const image = await ok(client.POST("/runtime.v1.ImageService/ImageStatus", { body: { image: { image: imageRef }, verbose: true } }));
  assert.equal(image.image?.id, imageId);
  const imageViaGet = await ok(
    client.GET("/runtime.v1.ImageService/ImageStatus", {
      params: { query: { encoding: "json", message: JSON.stringify({ image: { image: imageRef } }) } },
    }),
  );
  assert.equal(imageViaGet.image?.id, imageId);
  const images = await ok(client.POST("/runtime.v1.ImageService/ListImages", { body: { filter: { image: { image: imageRef } } } }));
  assert.deepEqual(images.images?.map((i) => i.id), [imageId]);

  // A pod.
  const { podSandboxId: podId = "" } = await ok(
    client.POST("/runtime.v1.RuntimeService/RunPodSandbox", {
      body: {
        config: {
          metadata: { name: `openapi-${suffix}`, namespace: "openapi", uid: `uid-${suffix}`, attempt: 0 },
          hostname: `openapi-${suffix}`,
          labels: runLabel,
          linux: {},
        },
      },
    }),
  );
  assert.match(podId, /^[0-9a-f]{64}$/);
  const pod = await ok(client.POST("/runtime.v1.RuntimeService/PodSandboxStatus", { body: { podSandboxId: podId } }));
  assert.equal(pod.status?.id, podId);
  assert.equal(pod.status.state ?? "SANDBOX_READY", "SANDBOX_READY", "the default state, omitted");
  assert.match(pod.status?.network?.ip ?? "", /^10\.124\./, "pod IP from the CIDR set by UpdateRuntimeConfig");
  const pods = await ok(
    client.POST("/runtime.v1.RuntimeService/ListPodSandbox", {
      body: { filter: { labelSelector: runLabel, state: { state: "SANDBOX_READY" } } },
    }),
  );
  assert.deepEqual(pods.items?.map((p) => p.id), [podId]);

  // A container in it. KeyValue.value is bytes, so JSON carries it base64-encoded.
  const appConfig = (labels: Record<string, string>) => ({
    metadata: { name: "app" },
    image: { image: imageRef },
    command: ["sleep", "3600"],
    envs: [{ key: "GREETING", value: Buffer.from("hello").toString("base64") }],
    labels,
    linux: {},
  });
  const { containerId = "" } = await ok(
    client.POST("/runtime.v1.RuntimeService/CreateContainer", {
      body: { podSandboxId: podId, config: appConfig({ ...runLabel, app: "openapi" }) },
    }),
  );
  assert.match(containerId, /^[0-9a-f]{64}$/);
  await ok(client.POST("/runtime.v1.RuntimeService/StartContainer", { body: { containerId } }));
  // Id prefixes work as everywhere else.
  const running = await ok(client.POST("/runtime.v1.RuntimeService/ContainerStatus", { body: { containerId: containerId.slice(0, 12) } }));
  assert.equal(running.status?.state, "CONTAINER_RUNNING");
  assert.equal(running.status?.imageId, imageId);
  const containers = await ok(
    client.POST("/runtime.v1.RuntimeService/ListContainers", {
      body: { filter: { labelSelector: runLabel, state: { state: "CONTAINER_RUNNING" } } },
    }),
  );
  assert.deepEqual(containers.containers?.map((c) => c.id), [containerId]);

  // Exec and the streaming endpoints' URLs.
  const hello = await ok(
    client.POST("/runtime.v1.RuntimeService/ExecSync", { body: { containerId, cmd: ["echo", "hello"], timeout: "10" } }),
  );
  assert.equal(text(hello.stdout), "hello\n", "stdout is base64 bytes");
  assert.equal(hello.exitCode ?? 0, 0, "exitCode 0 is a default, so omitted");
  const env = await ok(client.POST("/runtime.v1.RuntimeService/ExecSync", { body: { containerId, cmd: ["printenv", "GREETING"] } }));
  assert.equal(text(env.stdout), "hello\n");
  const three = await ok(client.POST("/runtime.v1.RuntimeService/ExecSync", { body: { containerId, cmd: ["sh", "-c", "exit 3"] } }));
  assert.equal(three.exitCode, 3);
  const exec = await ok(client.POST("/runtime.v1.RuntimeService/Exec", { body: { containerId, cmd: ["sh"], stdin: true, stdout: true } }));
  assert.ok(exec.url?.startsWith(`${gatewayUrl}/stream/exec/`), `exec URL ${exec.url}`);
  const attach = await ok(client.POST("/runtime.v1.RuntimeService/Attach", { body: { containerId, stdout: true, stderr: true } }));
  assert.ok(attach.url?.startsWith(`${gatewayUrl}/stream/attach/`), `attach URL ${attach.url}`);
  const forward = await ok(client.POST("/runtime.v1.RuntimeService/PortForward", { body: { podSandboxId: podId, port: [8080] } }));
  assert.ok(forward.url?.startsWith(`${gatewayUrl}/stream/portforward/`), `port-forward URL ${forward.url}`);

  // Resources, stats and metrics.
  const podLimit = 512n * 1024n * 1024n;
  await ok(
    client.POST("/runtime.v1.RuntimeService/UpdatePodSandboxResources", {
      body: { podSandboxId: podId, resources: { memoryLimitInBytes: String(podLimit) } },
    }),
  );
  const containerLimit = 256n * 1024n * 1024n;
  await ok(
    client.POST("/runtime.v1.RuntimeService/UpdateContainerResources", {
      body: { containerId, linux: { memoryLimitInBytes: String(containerLimit), cpuShares: "512" } },
    }),
  );
  const stats = await ok(client.POST("/runtime.v1.RuntimeService/ContainerStats", { body: { containerId } }));
  assert.equal(stats.stats?.attributes?.id, containerId);
  assert.ok(BigInt(stats.stats?.cpu?.usageCoreNanoSeconds?.value ?? "0") > 0n, "a running container used CPU");
  const listedStats = await ok(client.POST("/runtime.v1.RuntimeService/ListContainerStats", { body: { filter: { labelSelector: runLabel } } }));
  assert.deepEqual(listedStats.stats?.map((s) => s.attributes?.id), [containerId]);
  const podStats = await ok(client.POST("/runtime.v1.RuntimeService/PodSandboxStats", { body: { podSandboxId: podId } }));
  const workingSet = BigInt(podStats.stats?.linux?.memory?.workingSetBytes?.value ?? "0");
  assert.ok(workingSet > 0n);
  assert.equal(podStats.stats?.linux?.memory?.availableBytes?.value, String(podLimit - workingSet), "available = pod limit - working set");
  const listedPodStats = await ok(client.POST("/runtime.v1.RuntimeService/ListPodSandboxStats", { body: { filter: { id: podId } } }));
  assert.deepEqual(listedPodStats.stats?.map((s) => s.attributes?.id), [podId]);
  const descriptors = await ok(client.POST("/runtime.v1.RuntimeService/ListMetricDescriptors", { body: {} }));
  const names = new Set(descriptors.descriptors?.map((d) => d.name));
  assert.ok(names.has("container_memory_working_set_bytes"));
  const metrics = await ok(client.POST("/runtime.v1.RuntimeService/ListPodSandboxMetrics", { body: {} }));
  const podMetrics = metrics.podMetrics?.find((m) => m.podSandboxId === podId);
  assert.ok(podMetrics, "pod metrics include the pod");
  const memory = podMetrics.containerMetrics?.find((m) => m.containerId === containerId)?.metrics?.find((m) => m.name === "container_memory_working_set_bytes");
  assert.equal(memory?.metricType, "GAUGE");

  // Logs and checkpoints, seen in verbose status.
  await ok(client.POST("/runtime.v1.RuntimeService/ReopenContainerLog", { body: { containerId } }));
  const checkpoint = `/tmp/checkpoint-openapi-${suffix}.tar`;
  await ok(client.POST("/runtime.v1.RuntimeService/CheckpointContainer", { body: { containerId, location: checkpoint } }));
  const verbose = await ok(client.POST("/runtime.v1.RuntimeService/ContainerStatus", { body: { containerId, verbose: true } }));
  assert.equal(verbose.status?.resources?.linux?.memoryLimitInBytes, String(containerLimit), "int64 as a decimal string");
  const info = JSON.parse(verbose.info?.info ?? "{}") as { logReopens?: number; checkpoint?: string };
  assert.deepEqual([info.logReopens, info.checkpoint], [1, checkpoint]);

  // A pod checkpoint into an empty directory, restored as a new pod whose container is CREATED.
  const checkpointDir = mkdtempSync(join(tmpdir(), "cri-openapi-pod-checkpoint-"));
  try {
    await ok(
      client.POST("/runtime.v1.RuntimeService/CheckpointPod", {
        body: { podSandboxId: podId, outputPath: checkpointDir, containerIds: [containerId] },
      }),
    );
    assert.equal(readdirSync(checkpointDir).length, 1, "the checkpoint is in output_path");
    const restored = await ok(
      client.POST("/runtime.v1.RuntimeService/RestorePod", {
        body: {
          checkpointPath: checkpointDir,
          config: { metadata: { name: `restored-${suffix}`, namespace: "openapi", uid: `uid-restored-${suffix}` }, labels: runLabel, linux: {} },
          containerConfigs: [appConfig({ ...runLabel, app: "restored" })],
        },
      }),
    );
    assert.deepEqual(restored.restoredContainers?.map((c) => c.name), ["app"]);
    const restoredStatus = await ok(
      client.POST("/runtime.v1.RuntimeService/ContainerStatus", { body: { containerId: restored.restoredContainers?.[0]?.containerId ?? "" } }),
    );
    assert.ok(restoredStatus.status?.id, "the restored container exists");
    assert.equal(restoredStatus.status?.state ?? "CONTAINER_CREATED", "CONTAINER_CREATED", "state 0 (CREATED) is a default, so omitted");
    assert.equal(restoredStatus.status?.startedAt, undefined, "not started");
    await ok(client.POST("/runtime.v1.RuntimeService/RemovePodSandbox", { body: { podSandboxId: restored.podSandboxId ?? "" } }));
    await fails(
      client.POST("/runtime.v1.RuntimeService/RestorePod", {
        body: { checkpointPath: join(checkpointDir, "missing"), config: { metadata: { name: "x" } }, containerConfigs: [appConfig({})] },
      }),
      404,
      "not_found",
    );
  } finally {
    rmSync(checkpointDir, { recursive: true, force: true });
  }

  // Errors: the Connect error body with the status Connect gives its code.
  await fails(client.POST("/runtime.v1.ImageService/RemoveImage", { body: { image: { image: imageRef } } }), 400, "failed_precondition", /in use/);
  await fails(client.POST("/runtime.v1.RuntimeService/ContainerStatus", { body: { containerId: `missing-${suffix}` } }), 404, "not_found");
  await fails(client.POST("/runtime.v1.RuntimeService/StartContainer", { body: {} }), 400, "invalid_argument", /container_id/);

  // Tear down; Stop*/Remove* are idempotent.
  await ok(client.POST("/runtime.v1.RuntimeService/StopContainer", { body: { containerId, timeout: "1" } }));
  const exited = await ok(client.POST("/runtime.v1.RuntimeService/ContainerStatus", { body: { containerId } }));
  assert.equal(exited.status?.state, "CONTAINER_EXITED");
  await ok(client.POST("/runtime.v1.RuntimeService/RemoveContainer", { body: { containerId } }));
  await ok(client.POST("/runtime.v1.RuntimeService/RemoveContainer", { body: { containerId } }));
  await ok(client.POST("/runtime.v1.RuntimeService/StopPodSandbox", { body: { podSandboxId: podId } }));
  await ok(client.POST("/runtime.v1.RuntimeService/RemovePodSandbox", { body: { podSandboxId: podId } }));
  await fails(client.POST("/runtime.v1.RuntimeService/PodSandboxStatus", { body: { podSandboxId: podId } }), 404, "not_found");
  await ok(client.POST("/runtime.v1.ImageService/RemoveImage", { body: { image: { image: imageRef } } }));
  const gone = await ok(client.POST("/runtime.v1.ImageService/ImageStatus", { body: { image: { image: imageRef } } }));
  assert.equal(gone.image, undefined, "image status is empty after removal");
}
