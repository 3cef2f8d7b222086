/**
 * In-process tests of the Connect services: request checks and the error
 * table, without a socket. The core here is a scripted double: the services
 * layer must not care what is behind it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type DescMethod, type Message } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import {
  ContainerConfigSchema,
  ContainerMetadataSchema,
  ImageService,
  ImageSpecSchema,
  RuntimeService,
  VersionResponseSchema,
} from "../../gen/runtime/v1/api_pb.js";
import { CoreError, type CoreErrorKind } from "../core/core-error.js";
import type { RuntimeCore } from "../core/runtime-core.js";
import { createRoutes } from "./routes.js";

type Script = (method: DescMethod, request: Message) => Message | Promise<Message>;

/** A core whose every method runs `script` and records what it was called with. */
function scriptedCore(script: Script): RuntimeCore & { calls: string[] } {
  const calls: string[] = [];
  const core: Record<string, unknown> = { name: "scripted", calls, health: async () => ({ ready: true }), close: async () => {} };
  for (const method of [...RuntimeService.methods, ...ImageService.methods]) {
    core[method.localName] =
      method.methodKind === "server_streaming"
        ? async function* (req: Message) {
            calls.push(method.localName);
            yield await script(method, req);
          }
        : async (req: Message) => {
            calls.push(method.localName);
            return script(method, req);
          };
  }
  return core as unknown as RuntimeCore & { calls: string[] };
}

function clientsFor(core: RuntimeCore) {
  const transport = createRouterTransport(createRoutes(core).register);
  return { runtime: createClient(RuntimeService, transport), image: createClient(ImageService, transport) };
}

async function codeOf(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    return ConnectError.from(err);
  }
  assert.fail("call succeeded but should have failed");
}

describe("request checks", () => {
  const core = scriptedCore(() => assert.fail("a request that failed its checks reached the core"));
  const { runtime, image } = clientsFor(core);
  const cases: { desc: string; call: () => Promise<unknown>; field: string }[] = [
    { desc: "StopContainer without container_id", call: () => runtime.stopContainer({}), field: "container_id is required" },
    { desc: "StartContainer without container_id", call: () => runtime.startContainer({}), field: "container_id is required" },
    { desc: "RemoveContainer without container_id", call: () => runtime.removeContainer({}), field: "container_id is required" },
    { desc: "ContainerStatus without container_id", call: () => runtime.containerStatus({}), field: "container_id is required" },
    { desc: "StopPodSandbox without pod_sandbox_id", call: () => runtime.stopPodSandbox({}), field: "pod_sandbox_id is required" },
    { desc: "RemovePodSandbox without pod_sandbox_id", call: () => runtime.removePodSandbox({}), field: "pod_sandbox_id is required" },
    { desc: "PodSandboxStatus without pod_sandbox_id", call: () => runtime.podSandboxStatus({}), field: "pod_sandbox_id is required" },
    { desc: "RunPodSandbox without config", call: () => runtime.runPodSandbox({}), field: "config is required" },
    { desc: "RunPodSandbox without metadata", call: () => runtime.runPodSandbox({ config: {} }), field: "config.metadata is required" },
    { desc: "CreateContainer without pod_sandbox_id", call: () => runtime.createContainer({}), field: "pod_sandbox_id is required" },
    {
      desc: "CreateContainer without an image",
      call: () =>
        runtime.createContainer({
          podSandboxId: "abc",
          config: create(ContainerConfigSchema, { metadata: create(ContainerMetadataSchema, { name: "c" }) }),
        }),
      field: "config.image is required",
    },
    { desc: "ExecSync without cmd", call: () => runtime.execSync({ containerId: "abc" }), field: "cmd must not be empty" },
    { desc: "ExecSync with a negative timeout", call: () => runtime.execSync({ containerId: "a", cmd: ["true"], timeout: -1n }), field: "timeout must not be negative" },
    { desc: "Exec without cmd", call: () => runtime.exec({ containerId: "abc" }), field: "cmd must not be empty" },
    { desc: "Attach without container_id", call: () => runtime.attach({}), field: "container_id is required" },
    { desc: "PortForward without pod_sandbox_id", call: () => runtime.portForward({}), field: "pod_sandbox_id is required" },
    { desc: "ContainerStats without container_id", call: () => runtime.containerStats({}), field: "container_id is required" },
    { desc: "PodSandboxStats without pod_sandbox_id", call: () => runtime.podSandboxStats({}), field: "pod_sandbox_id is required" },
    { desc: "CheckpointContainer without container_id", call: () => runtime.checkpointContainer({}), field: "container_id is required" },
    { desc: "CheckpointPod without pod_sandbox_id", call: () => runtime.checkpointPod({ outputPath: "/tmp/x", containerIds: ["a"] }), field: "pod_sandbox_id is required" },
    { desc: "CheckpointPod without output_path", call: () => runtime.checkpointPod({ podSandboxId: "p", containerIds: ["a"] }), field: "output_path is required" },
    { desc: "CheckpointPod without container_ids", call: () => runtime.checkpointPod({ podSandboxId: "p", outputPath: "/tmp/x" }), field: "container_ids must not be empty" },
    { desc: "RestorePod without checkpoint_path", call: () => runtime.restorePod({}), field: "checkpoint_path is required" },
    { desc: "RestorePod without config", call: () => runtime.restorePod({ checkpointPath: "/tmp/x" }), field: "config is required" },
    {
      desc: "RestorePod without container_configs",
      call: () => runtime.restorePod({ checkpointPath: "/tmp/x", config: { metadata: { name: "p" } } }),
      field: "container_configs must not be empty",
    },
    { desc: "UpdateContainerResources without container_id", call: () => runtime.updateContainerResources({}), field: "container_id is required" },
    { desc: "UpdatePodSandboxResources without pod_sandbox_id", call: () => runtime.updatePodSandboxResources({}), field: "pod_sandbox_id is required" },
    { desc: "ReopenContainerLog without container_id", call: () => runtime.reopenContainerLog({}), field: "container_id is required" },
    { desc: "UpdateRuntimeConfig without runtime_config", call: () => runtime.updateRuntimeConfig({}), field: "runtime_config is required" },
    { desc: "PullImage without image", call: () => image.pullImage({}), field: "image is required" },
    { desc: "PullImage with an empty reference", call: () => image.pullImage({ image: create(ImageSpecSchema) }), field: "image.image is required" },
    { desc: "ImageStatus without image", call: () => image.imageStatus({}), field: "image is required" },
    { desc: "RemoveImage without image", call: () => image.removeImage({}), field: "image is required" },
  ];
  for (const c of cases) {
    it(`rejects ${c.desc} with invalid_argument naming the field`, async () => {
      const err = await codeOf(c.call());
      assert.equal(err.code, Code.InvalidArgument);
      assert.equal(err.rawMessage, c.field);
    });
  }
});

describe("error table", () => {
  const table: [CoreErrorKind, Code][] = [
    ["invalid_argument", Code.InvalidArgument],
    ["not_found", Code.NotFound],
    ["already_exists", Code.AlreadyExists],
    ["failed_precondition", Code.FailedPrecondition],
    ["deadline_exceeded", Code.DeadlineExceeded],
    ["unavailable", Code.Unavailable],
    ["unimplemented", Code.Unimplemented],
    ["resource_exhausted", Code.ResourceExhausted],
    ["internal", Code.Internal],
  ];
  for (const [kind, code] of table) {
    it(`maps CoreError ${kind} to ${Code[code]} keeping the message`, async () => {
      const { runtime } = clientsFor(scriptedCore(() => { throw new CoreError(kind, `container "abc" went ${kind}`); }));
      const err = await codeOf(runtime.containerStatus({ containerId: "abc" }));
      assert.equal(err.code, code);
      assert.equal(err.rawMessage, `container "abc" went ${kind}`);
    });
  }

  it("passes a ConnectError from the core through unchanged", async () => {
    const upstream = new ConnectError("upstream says no", Code.PermissionDenied);
    const { runtime } = clientsFor(scriptedCore(() => { throw upstream; }));
    const err = await codeOf(runtime.version({}));
    assert.equal(err.code, Code.PermissionDenied);
    assert.equal(err.rawMessage, "upstream says no");
  });

  it("hides an unexpected error behind a generic internal message", async () => {
    const { runtime } = clientsFor(scriptedCore(() => { throw new Error("secret path /etc/shadow"); }));
    const err = await codeOf(runtime.version({}));
    assert.equal(err.code, Code.Internal);
    assert.equal(err.rawMessage, "internal error");
  });

  it("maps errors thrown inside a server stream too", async () => {
    const { runtime } = clientsFor(scriptedCore(() => { throw new CoreError("unavailable", "upstream down"); }));
    const err = await codeOf((async () => { for await (const _ of runtime.getContainerEvents({})) { /* drain */ } })());
    assert.equal(err.code, Code.Unavailable);
  });
});

describe("delegation", () => {
  it("hands a valid request to the core and returns its answer unchanged", async () => {
    const core = scriptedCore(() => create(VersionResponseSchema, { runtimeName: "scripted", version: "9" }));
    const { runtime } = clientsFor(core);
    const res = await runtime.version({ version: "v1" });
    assert.equal(res.runtimeName, "scripted");
    assert.deepEqual(core.calls, ["version"]);
  });
});
