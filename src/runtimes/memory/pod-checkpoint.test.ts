/**
 * The memory runtime's CheckpointPod and RestorePod beyond the contract
 * suite: what the file holds, the checks a restore makes against it, the
 * options it refuses, and a checkpoint cut short by its deadline.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { type MessageInitShape, create } from "@bufbuild/protobuf";
import {
  CheckpointPodRequestSchema,
  type ContainerConfigSchema,
  ContainerStatusRequestSchema,
  CreateContainerRequestSchema,
  ListContainersRequestSchema,
  ListPodSandboxRequestSchema,
  RestorePodRequestSchema,
  RunPodSandboxRequestSchema,
  StartContainerRequestSchema,
  StopPodSandboxRequestSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../core/call-context.js";
import { type CoreErrorKind, isCoreError } from "../../core/core-error.js";
import { createMemoryRuntime } from "./index.js";
import { podCheckpointFileName, podCheckpointFormat } from "./pod-checkpoint-archive.js";

const ctx = createCallContext();
const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
const newDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "cri-memory-pod-checkpoint-"));
  dirs.push(dir);
  return dir;
};

type ConfigInit = MessageInitShape<typeof ContainerConfigSchema>;
type ConfigChange = { command?: string[]; envs?: { key: string; value: Uint8Array }[]; image?: { image: string } };
type RestoreChange = { checkpointPath?: string; options?: Record<string, string>; runtimeHandler?: string; containerConfigs?: ConfigInit[] };
type CheckpointChange = { podSandboxId?: string; options?: Record<string, string> };

const appConfig = (extra: ConfigChange = {}): ConfigInit => ({
  metadata: { name: "app" },
  image: { image: "busybox" },
  command: ["sleep", "3600"],
  envs: [{ key: "MODE", value: new Uint8Array([0x6f, 0x6e]) }],
  ...extra,
});

/** A memory runtime with a ready pod "web" whose container "app" runs, checkpointed into a fresh directory. */
async function checkpointed() {
  const core = createMemoryRuntime({ gatewayUrl: () => "http://gw.test", maxMessageBytes: 1 << 20, settings: {}, images: ["busybox"] });
  const podConfig = { metadata: { name: "web", namespace: "ns", uid: "u1" }, labels: { app: "web" } };
  const { podSandboxId } = await core.runPodSandbox(create(RunPodSandboxRequestSchema, { config: podConfig }), ctx);
  const { containerId } = await core.createContainer(create(CreateContainerRequestSchema, { podSandboxId, config: appConfig() }), ctx);
  await core.startContainer(create(StartContainerRequestSchema, { containerId }), ctx);
  const dir = await newDir();
  await core.checkpointPod(create(CheckpointPodRequestSchema, { podSandboxId, outputPath: dir, containerIds: [containerId] }), ctx);
  const restore = (init: RestoreChange = {}) =>
    core.restorePod(
      create(RestorePodRequestSchema, {
        checkpointPath: dir,
        config: { metadata: { name: "web", namespace: "ns", uid: "u2" } },
        containerConfigs: [appConfig()],
        ...init,
      }),
      ctx,
    );
  return { core, podSandboxId, containerId, dir, restore };
}

async function rejectsWith(promise: Promise<unknown>, kind: CoreErrorKind, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isCoreError(err, kind), `expected ${kind}, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

describe("memory CheckpointPod / RestorePod", () => {
  it("writes one gzip'd JSON file holding the pod and its container as they were", async () => {
    const { dir, podSandboxId, containerId } = await checkpointed();
    assert.deepEqual(await readdir(dir), [podCheckpointFileName]);
    type Item = { id: string; state: string; startedAt: string; config: { labels?: object; envs?: object } };
    const doc = JSON.parse(gunzipSync(await readFile(join(dir, podCheckpointFileName))).toString("utf8")) as {
      format: string;
      sandbox: Item;
      containers: Item[];
    };
    assert.equal(doc.format, podCheckpointFormat);
    assert.equal(doc.sandbox.id, podSandboxId);
    assert.equal(doc.sandbox.state, "SANDBOX_READY");
    assert.deepEqual(doc.sandbox.config.labels, { app: "web" });
    const [app] = doc.containers;
    assert.equal(app?.id, containerId);
    assert.equal(app?.state, "CONTAINER_RUNNING");
    assert.ok(BigInt(app?.startedAt ?? "0") > 0n);
    assert.deepEqual(app?.config.envs, [{ key: "MODE", value: "b24=" }], "env bytes as base64");
  });

  it("restores containers whose verbose status names the checkpoint they came from", async () => {
    const { core, dir, restore } = await checkpointed();
    const restored = await restore();
    const containerId = restored.restoredContainers[0]?.containerId ?? "";
    const verbose = await core.containerStatus(create(ContainerStatusRequestSchema, { containerId, verbose: true }), ctx);
    assert.equal((JSON.parse(verbose.info.info ?? "{}") as { restoredFrom?: string }).restoredFrom, dir);
  });

  const mismatches: { desc: string; init: RestoreChange; kind: CoreErrorKind; message: RegExp }[] = [
    { desc: "another command", init: { containerConfigs: [appConfig({ command: ["sleep", "1"] })] }, kind: "invalid_argument", message: /"app": command differs from the checkpoint/ },
    { desc: "other env bytes", init: { containerConfigs: [appConfig({ envs: [{ key: "MODE", value: new Uint8Array([0x6f, 0x66]) }] })] }, kind: "invalid_argument", message: /envs differs/ },
    { desc: "an image that is not pulled", init: { containerConfigs: [appConfig({ image: { image: "nginx" } })] }, kind: "not_found", message: /image "nginx" not found/ },
    { desc: "a duplicated container name", init: { containerConfigs: [appConfig(), appConfig()] }, kind: "invalid_argument", message: /names "app" twice/ },
    { desc: "restore options", init: { options: { "criu.tcp-established": "true" } }, kind: "invalid_argument", message: /options \["criu.tcp-established"\] are not supported/ },
    { desc: "an unknown runtime handler", init: { runtimeHandler: "kata" }, kind: "invalid_argument", message: /no runtime for "kata"/ },
    { desc: "a relative checkpoint path", init: { checkpointPath: "ckpt" }, kind: "invalid_argument", message: /not an absolute path/ },
  ];
  for (const m of mismatches) {
    it(`refuses a restore with ${m.desc} (${m.kind}) and creates nothing`, async () => {
      const { core, restore } = await checkpointed();
      await rejectsWith(restore(m.init), m.kind, m.message);
      assert.equal((await core.listPodSandbox(create(ListPodSandboxRequestSchema), ctx)).items.length, 1, "only the original pod");
      assert.equal((await core.listContainers(create(ListContainersRequestSchema), ctx)).containers.length, 1);
    });
  }

  it("refuses checkpoint options, a container of another pod and a stopped pod", async () => {
    const { core, podSandboxId, containerId } = await checkpointed();
    const other = (await core.runPodSandbox(create(RunPodSandboxRequestSchema, { config: { metadata: { name: "other", uid: "o" } } }), ctx)).podSandboxId;
    const checkpoint = async (init: CheckpointChange) =>
      core.checkpointPod(create(CheckpointPodRequestSchema, { podSandboxId, outputPath: await newDir(), containerIds: [containerId], ...init }), ctx);
    await rejectsWith(checkpoint({ options: { leave_running: "false" } }), "invalid_argument", /options \["leave_running"\]/);
    await rejectsWith(checkpoint({ podSandboxId: other }), "invalid_argument", /is not in pod sandbox/);
    await core.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId }), ctx);
    await rejectsWith(checkpoint({}), "failed_precondition", /it is not ready/);
  });

  it("gives up with deadline_exceeded when the call is cancelled, leaving the directory empty", async () => {
    const { core, podSandboxId, containerId } = await checkpointed();
    const dir = await newDir();
    const abort = new AbortController();
    abort.abort(new Error("deadline"));
    await rejectsWith(
      core.checkpointPod(
        create(CheckpointPodRequestSchema, { podSandboxId, outputPath: dir, containerIds: [containerId] }),
        createCallContext({ signal: abort.signal }),
      ),
      "deadline_exceeded",
      /did not finish in time/,
    );
    assert.deepEqual(await readdir(dir), []);
  });
});
