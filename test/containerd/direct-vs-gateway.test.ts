/**
 * Issue 4, "Done when": the same scripted CRI sequence run directly against a
 * real containerd (1.6, started by the harness) and through the gateway's
 * remote core in front of it gives the same answers, ids and timestamps
 * aside. The script runs three times against one containerd:
 *   (a) directly on containerd's unix socket over gRPC,
 *   (b) through the gateway over gRPC on TCP,
 *   (c) through the gateway over Connect JSON on TCP,
 * and each run's transcript (every answer as proto JSON, or the error's code
 * and message) is normalized (see `normalize`) and compared deepEqual with (a).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type DescMessage, type MessageShape, type JsonValue, toJson } from "@bufbuild/protobuf";
import { Code, type Client, ConnectError, createClient } from "@connectrpc/connect";
import {
  ContainerStatsResponseSchema,
  ContainerStatusResponseSchema,
  CreateContainerResponseSchema,
  ExecSyncResponseSchema,
  ImageService,
  ImageStatusResponseSchema,
  ListContainersResponseSchema,
  ListImagesResponseSchema,
  NamespaceMode,
  PodSandboxStatusResponseSchema,
  RemoveContainerResponseSchema,
  PullImageResponseSchema,
  RemoveImageResponseSchema,
  RemovePodSandboxResponseSchema,
  RunPodSandboxResponseSchema,
  RuntimeService,
  StartContainerResponseSchema,
  StatusResponseSchema,
  StopContainerResponseSchema,
  StopPodSandboxResponseSchema,
  VersionResponseSchema,
} from "../../gen/runtime/v1/api_pb.js";
import { createTransport } from "../helpers/cri-clients.js";
import { startTestGateway, type TestGateway } from "../helpers/start-gateway.js";
import { busyboxImage, type Containerd, containerdSkipReason, pauseImage, startContainerd } from "./containerd-harness.js";

const skipReason = containerdSkipReason();

interface Pair {
  readonly runtime: Client<typeof RuntimeService>;
  readonly image: Client<typeof ImageService>;
}

/** One step of a transcript: the answer as proto JSON, or the error. */
type Entry = { step: string; ok: JsonValue } | { step: string; error: { code: string; message: string } };

/** An id no runtime knows; the same in every run, so error messages compare verbatim. */
const unknownId = "cri-gateway-unknown-id-0";
const callOptions = { timeoutMs: 30_000 };

/**
 * The scripted sequence. `suffix` makes pod names unique per run (the three
 * runs share one containerd); `cgroupParent` is the harness's (containerd 1.6
 * needs one for stats). Steps after a failure still run where they can, so a
 * difference shows up as a transcript diff rather than a thrown error.
 */
async function script({ runtime, image }: Pair, suffix: string, cgroupParent: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const step = async <S extends DescMessage>(name: string, schema: S, call: () => Promise<MessageShape<S>>) => {
    try {
      const res = await call();
      out.push({ step: name, ok: toJson(schema, res) });
      return res;
    } catch (err) {
      const e = ConnectError.from(err);
      out.push({ step: name, error: { code: Code[e.code], message: e.rawMessage } });
      return undefined;
    }
  };

  await step("Version", VersionResponseSchema, () => runtime.version({ version: "v1" }, callOptions));
  await step("Status", StatusResponseSchema, () => runtime.status({ verbose: false }, callOptions));
  const images = await step("ListImages", ListImagesResponseSchema, () => image.listImages({}, callOptions));
  if (images !== undefined) {
    // Only the harness's images, in a stable order.
    images.images = images.images
      .filter((i) => i.repoTags.some((t) => t === busyboxImage || t === pauseImage))
      .sort((x, y) => (x.repoTags[0] ?? "").localeCompare(y.repoTags[0] ?? ""));
    out[out.length - 1] = { step: "ListImages", ok: toJson(ListImagesResponseSchema, images) };
  }
  await step("ImageStatus", ImageStatusResponseSchema, () => image.imageStatus({ image: { image: busyboxImage } }, callOptions));

  const config = {
    metadata: { name: `dvg-${suffix}`, namespace: "dvg-namespace", uid: `uid-${suffix}`, attempt: 0 },
    hostname: "",
    labels: { app: "dvg" },
    annotations: { "cri-gateway.test/note": "compared" },
    linux: { cgroupParent, securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } },
  };
  const pod = await step("RunPodSandbox", RunPodSandboxResponseSchema, () => runtime.runPodSandbox({ config }, callOptions));
  const podSandboxId = pod?.podSandboxId ?? unknownId;
  try {
    await step("PodSandboxStatus", PodSandboxStatusResponseSchema, () => runtime.podSandboxStatus({ podSandboxId, verbose: true }, callOptions));
    const created = await step("CreateContainer", CreateContainerResponseSchema, () =>
      runtime.createContainer(
        {
          podSandboxId,
          config: {
            metadata: { name: "loop", attempt: 0 },
            image: { image: busyboxImage },
            command: ["sh", "-c", "while :; do sleep 1; done"],
            labels: { role: "loop" },
            linux: {},
          },
          sandboxConfig: config,
        },
        callOptions,
      ),
    );
    const containerId = created?.containerId ?? unknownId;
    await step("StartContainer", StartContainerResponseSchema, () => runtime.startContainer({ containerId }, callOptions));
    await step("ContainerStatus running", ContainerStatusResponseSchema, () => runtime.containerStatus({ containerId, verbose: true }, callOptions));
    await step("ExecSync echo", ExecSyncResponseSchema, () => runtime.execSync({ containerId, cmd: ["echo", "hello"], timeout: 10n }, callOptions));
    await step("ExecSync exit 3", ExecSyncResponseSchema, () =>
      runtime.execSync({ containerId, cmd: ["sh", "-c", "echo oops >&2; exit 3"], timeout: 10n }, callOptions),
    );
    await step("ListContainers by pod", ListContainersResponseSchema, () => runtime.listContainers({ filter: { podSandboxId } }, callOptions));
    await step("ContainerStats", ContainerStatsResponseSchema, () => runtime.containerStats({ containerId }, callOptions));
    await step("StopContainer", StopContainerResponseSchema, () => runtime.stopContainer({ containerId, timeout: 1n }, callOptions));
    await step("ContainerStatus exited", ContainerStatusResponseSchema, () => runtime.containerStatus({ containerId, verbose: true }, callOptions));
    await step("RemoveContainer", RemoveContainerResponseSchema, () => runtime.removeContainer({ containerId }, callOptions));
    await step("ContainerStatus removed", ContainerStatusResponseSchema, () => runtime.containerStatus({ containerId }, callOptions));
    await step("StopPodSandbox", StopPodSandboxResponseSchema, () => runtime.stopPodSandbox({ podSandboxId }, callOptions));
    await step("PodSandboxStatus stopped", PodSandboxStatusResponseSchema, () => runtime.podSandboxStatus({ podSandboxId }, callOptions));
  } finally {
    await step("RemovePodSandbox", RemovePodSandboxResponseSchema, () => runtime.removePodSandbox({ podSandboxId }, callOptions));
  }
  await step("PodSandboxStatus removed", PodSandboxStatusResponseSchema, () => runtime.podSandboxStatus({ podSandboxId }, callOptions));
  await step("ContainerStatus unknown id", ContainerStatusResponseSchema, () => runtime.containerStatus({ containerId: unknownId }, callOptions));
  await step("PodSandboxStatus unknown id", PodSandboxStatusResponseSchema, () => runtime.podSandboxStatus({ podSandboxId: unknownId }, callOptions));
  // Images: remove the busybox image (no container uses it any more), see it
  // gone, and pull it back so the next run finds what this one found.
  await step("RemoveImage", RemoveImageResponseSchema, () => image.removeImage({ image: { image: busyboxImage } }, callOptions));
  await step("ImageStatus removed", ImageStatusResponseSchema, () => image.imageStatus({ image: { image: busyboxImage } }, callOptions));
  await step("RemoveImage again", RemoveImageResponseSchema, () => image.removeImage({ image: { image: busyboxImage } }, callOptions));
  await step("PullImage", PullImageResponseSchema, () => image.pullImage({ image: { image: busyboxImage } }, callOptions));
  await step("ImageStatus pulled", ImageStatusResponseSchema, () => image.imageStatus({ image: { image: busyboxImage } }, callOptions));
  return out;
}

/**
 * What varies run to run (and only that) is replaced; everything else must
 * match exactly:
 * - 64-hex strings anywhere (pod, container and image ids, digests, ids inside
 *   messages and paths) → "<hex64>": containerd makes fresh ids per pod/container.
 * - keys ending in "At" and "timestamp" (createdAt, startedAt, finishedAt,
 *   stats timestamps) → "<time>": wall-clock.
 * - the run's name suffix ("sfx-direct", "sfx-gw-grpc", "sfx-gw-connect") inside any
 *   string → "<run>": pod names/uids must differ per run on one containerd.
 * - every numeric leaf under ContainerStats' `stats` → "<n>": cpu, memory and
 *   disk usage differ between runs (key structure is still compared).
 * - verbose `info` maps → their sorted keys: the values are JSON blobs with
 *   pids, ids, timestamps, paths and config dumps of the particular object.
 * - "pid" keys → "<pid>", IPv4 addresses → "<ip>" (none expected on host network).
 */
function normalize(value: JsonValue, suffix: string, key = "", inStats = false): JsonValue {
  if (Array.isArray(value)) return value.map((v) => normalize(v, suffix, key, inStats));
  if (value !== null && typeof value === "object") {
    if (key === "info") return Object.keys(value).sort();
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, normalize(v, suffix, k, inStats || k === "stats")]),
    );
  }
  if (/At$|^timestamp$/i.test(key)) return "<time>";
  if (key === "pid") return "<pid>";
  if (inStats && (typeof value === "number" || (typeof value === "string" && /^\d+$/.test(value)))) return "<n>";
  if (typeof value === "string") {
    return value
      .replace(/[0-9a-f]{64}/g, "<hex64>")
      .replaceAll(suffix, "<run>")
      .replace(/\b\d{1,3}(\.\d{1,3}){3}\b/g, "<ip>");
  }
  return value;
}

const normalizeTranscript = (entries: Entry[], suffix: string) => entries.map((e) => normalize(e as unknown as JsonValue, suffix));

describe("the same CRI script directly against containerd and through the gateway", { skip: skipReason }, () => {
  let containerd: Containerd;
  let gateway: TestGateway;
  const closers: (() => void)[] = [];
  before(async () => {
    containerd = await startContainerd();
    gateway = await startTestGateway({
      runtime: "remote",
      coreSettings: { upstream: containerd.endpoint, "timeout-ms": "30000", "pull-timeout-ms": "30000" },
    });
    // Pull both images up front, so ListImages sees the same set in every run
    // (otherwise the first RunPodSandbox pulls the pause image mid-script).
    const { transport, close } = createTransport(
      { url: "http://localhost", socketPath: containerd.socket },
      { protocol: "grpc", via: "unix", httpVersion: "2" },
    );
    closers.push(close);
    const image = createClient(ImageService, transport);
    for (const ref of [busyboxImage, pauseImage]) await image.pullImage({ image: { image: ref } }, callOptions);
  });
  after(async () => {
    for (const close of closers) close();
    await gateway?.close();
    await containerd?.stop();
  });

  it("gives the same answers (ids, timestamps, pids and stats values aside) over gRPC and Connect JSON", async () => {
    const pairOf = (t: ReturnType<typeof createTransport>): Pair => {
      closers.push(t.close);
      return { runtime: createClient(RuntimeService, t.transport), image: createClient(ImageService, t.transport) };
    };
    const direct = pairOf(
      createTransport({ url: "http://localhost", socketPath: containerd.socket }, { protocol: "grpc", via: "unix", httpVersion: "2" }),
    );
    const gwGrpc = pairOf(createTransport({ url: gateway.url, socketPath: gateway.socketPath }, { protocol: "grpc", via: "tcp", httpVersion: "2" }));
    const gwConnect = pairOf(
      createTransport({ url: gateway.url, socketPath: gateway.socketPath }, { protocol: "connect-json", via: "tcp", httpVersion: "1.1" }),
    );

    const a = normalizeTranscript(await script(direct, "sfx-direct", containerd.cgroupParent), "sfx-direct");
    const b = normalizeTranscript(await script(gwGrpc, "sfx-gw-grpc", containerd.cgroupParent), "sfx-gw-grpc");
    const c = normalizeTranscript(await script(gwConnect, "sfx-gw-connect", containerd.cgroupParent), "sfx-gw-connect");

    // The script itself worked: the direct run is a real, successful story.
    const byStep = new Map(a.map((e) => [(e as { step: string }).step, e as Record<string, JsonValue>]));
    for (const name of ["Version", "RunPodSandbox", "CreateContainer", "StartContainer", "ExecSync echo", "ContainerStats", "RemovePodSandbox", "RemoveImage", "PullImage"]) {
      assert.ok(byStep.get(name)?.ok !== undefined, `${name} failed directly: ${JSON.stringify(byStep.get(name))}`);
    }
    assert.deepEqual(byStep.get("ExecSync echo")?.ok, { stdout: Buffer.from("hello\n").toString("base64") });
    assert.equal((byStep.get("ContainerStatus unknown id")?.error as { code?: string } | undefined)?.code, "NotFound");
    assert.deepEqual(byStep.get("ImageStatus removed")?.ok, {}, "the image is gone after RemoveImage");
    assert.ok(JSON.stringify(byStep.get("ImageStatus pulled")?.ok).includes(busyboxImage), "and back after PullImage");

    assert.deepEqual(b, a, "gRPC through the gateway differs from gRPC directly to containerd");
    assert.deepEqual(c, a, "Connect JSON through the gateway differs from gRPC directly to containerd");
  });
});
