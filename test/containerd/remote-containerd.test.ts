/**
 * The remote core in front of a real containerd (Debian's 1.6 with runc),
 * started by the harness in a temp dir with a locally built busybox image:
 * the runtime-core contract suite, and one explicit pod → container → exec
 * story whose ExecSync output comes from a real process in a real container.
 *
 * The harness configures no CNI, so every pod runs on the host network: the
 * contract suite's core is wrapped to turn each RunPodSandbox (and the
 * sandbox config CreateContainer carries) into a host-network pod with an
 * empty hostname, as the kubelet does for hostNetwork pods.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { clone, create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  CheckpointPodRequestSchema,
  ContainerState,
  ContainerStatusRequestSchema,
  CreateContainerRequestSchema,
  ExecSyncRequestSchema,
  LinuxPodSandboxConfigSchema,
  LinuxSandboxSecurityContextSchema,
  NamespaceOptionSchema,
  NamespaceMode,
  PodSandboxState,
  PodSandboxStatusRequestSchema,
  type PodSandboxConfig,
  PullImageRequestSchema,
  RestorePodRequestSchema,
  RemoveContainerRequestSchema,
  RemovePodSandboxRequestSchema,
  RunPodSandboxRequestSchema,
  StartContainerRequestSchema,
  StopContainerRequestSchema,
  StopPodSandboxRequestSchema,
  VersionRequestSchema,
} from "../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../src/core/call-context.js";
import type { RuntimeCore } from "../../src/core/runtime-core.js";
import { createRemoteRuntime } from "../../src/runtimes/remote/index.js";
import { contractCases, rejectsWithKind, runCoreContract } from "../contract/runtime-core.contract.js";
import { busyboxImage, type Containerd, containerdSkipReason, startContainerd } from "./containerd-harness.js";

const skipReason = containerdSkipReason();
const containerd: Containerd | undefined = skipReason === undefined ? await startContainerd() : undefined;
after(async () => {
  await containerd?.stop();
});

/**
 * Make `config` a host-network pod config with an empty hostname (no CNI
 * here) and, when it has none, the harness's cgroup parent (containerd 1.6
 * needs one for pod sandbox stats).
 */
function onHostNetwork(config: PodSandboxConfig | undefined): void {
  if (config === undefined) return;
  config.hostname = "";
  const linux = config.linux ?? create(LinuxPodSandboxConfigSchema);
  const security = linux.securityContext ?? create(LinuxSandboxSecurityContextSchema);
  const namespaces = security.namespaceOptions ?? create(NamespaceOptionSchema);
  namespaces.network = NamespaceMode.NODE;
  security.namespaceOptions = namespaces;
  linux.securityContext = security;
  if (linux.cgroupParent === "" && containerd !== undefined) linux.cgroupParent = containerd.cgroupParent;
  config.linux = linux;
}

const remoteCore = (): RuntimeCore =>
  createRemoteRuntime({
    gatewayUrl: () => "http://127.0.0.1:1",
    maxMessageBytes: 4 * 1024 * 1024,
    settings: { upstream: containerd?.endpoint ?? "unix:///nonexistent.sock", "timeout-ms": "30000", "pull-timeout-ms": "30000", "events-poll-ms": "200" },
  });

/** The remote core, with every pod moved onto the host network. */
function hostNetworkCore(): RuntimeCore {
  const core = remoteCore();
  return new Proxy(core, {
    get(target, key, receiver) {
      if (key === "runPodSandbox") {
        return (request: Parameters<RuntimeCore["runPodSandbox"]>[0], ctx: Parameters<RuntimeCore["runPodSandbox"]>[1]) => {
          const copy = clone(RunPodSandboxRequestSchema, request);
          onHostNetwork(copy.config);
          return target.runPodSandbox(copy, ctx);
        };
      }
      if (key === "createContainer") {
        return (request: Parameters<RuntimeCore["createContainer"]>[0], ctx: Parameters<RuntimeCore["createContainer"]>[1]) => {
          const copy = clone(CreateContainerRequestSchema, request);
          onHostNetwork(copy.sandboxConfig);
          return target.createContainer(copy, ctx);
        };
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const unknownNotInvalid = "containerd 1.6 answers code Unknown, not InvalidArgument";
const unknownNotExists = "containerd 1.6 answers code Unknown, not AlreadyExists, for a name already reserved";
const unimplementedCheckpointPod = "containerd 1.6 answers Unimplemented to CheckpointPod (its CRI predates the RPC)";
const unknownNotPrecondition = "containerd 1.6 answers code Unknown, not FailedPrecondition";
runCoreContract({
  name: "remote (containerd 1.6)",
  newCore: hostNetworkCore,
  image: busyboxImage,
  skip:
    skipReason !== undefined
      ? Object.fromEntries(contractCases.map((name) => [name, skipReason]))
      : {
          status: "no CNI is configured here (host-network pods only), so containerd reports NetworkReady=false",
          "ambiguous id prefix": `${unknownNotInvalid} for an ambiguous id prefix`,
          "empty id": `${unknownNotInvalid} for an empty id`,
          "sandbox name conflict": `${unknownNotExists} ("failed to reserve sandbox name")`,
          "container name conflict": `${unknownNotExists} ("failed to reserve container name")`,
          "create container preconditions":
            "containerd 1.6 answers NotFound, not FailedPrecondition, for CreateContainer in a stopped sandbox (its task is gone)",
          "start precondition": `${unknownNotPrecondition} for StartContainer of a running container`,
          "exec preconditions": `${unknownNotPrecondition} for ExecSync in a created (not started) container`,
          "events to two subscribers":
            "containerd 1.6 lacks GetContainerEvents, so the gateway synthesizes it by polling (events-poll-ms); the case's container runs ~40 ms (StopContainer returns at once), shorter than a poll, so STARTED and STOPPED are not reliably observed",
          "stream equals list":
            "containerd 1.6 answers Unimplemented to ListPodSandboxMetrics and StreamPodSandboxMetrics (added in 1.7), the case's last step",
          "idempotent stop and remove": "containerd 1.6 answers NotFound to StopContainer of an unknown container id",
          "pod checkpoint and restore": `${unimplementedCheckpointPod}; the passthrough is tested below`,
          "pod checkpoint refusals": unimplementedCheckpointPod,
          "pod restore refusals": `${unimplementedCheckpointPod} (RestorePod too)`,
        },
});

describe("remote core → real containerd: host-network pod, busybox container, ExecSync", { skip: skipReason }, () => {
  const ctx = () => createCallContext({ deadline: Date.now() + 20_000 });
  let core: RuntimeCore;
  before(() => {
    core = remoteCore();
  });
  after(async () => {
    await core?.close();
  });

  it("passes containerd 1.6's Unimplemented for CheckpointPod and RestorePod through unchanged", async () => {
    const calls: [string, () => Promise<unknown>][] = [
      ["CheckpointPod", () => core.checkpointPod(create(CheckpointPodRequestSchema, { podSandboxId: "f".repeat(64), outputPath: "/nonexistent", containerIds: ["c"] }), ctx())],
      ["RestorePod", () => core.restorePod(create(RestorePodRequestSchema, { checkpointPath: "/nonexistent", config: { metadata: { name: "p" } } }), ctx())],
    ];
    for (const [method, call] of calls) {
      await assert.rejects(call(), (err: unknown) => {
        assert.ok(err instanceof ConnectError, `a ConnectError, got ${String(err)}`);
        assert.equal(err.code, Code.Unimplemented);
        assert.match(err.rawMessage, new RegExp(method), "containerd's own message names the method");
        return true;
      });
    }
  });

  it("runs a real container and returns its real output", async () => {
    const version = await core.version(create(VersionRequestSchema, {}), ctx());
    assert.equal(version.runtimeName, "containerd");
    assert.equal(version.runtimeApiVersion, "v1");

    const suffix = Date.now().toString(36);
    const config = {
      metadata: { name: `story-${suffix}`, namespace: "containerd-story", uid: `uid-${suffix}`, attempt: 0 },
      hostname: "",
      linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } },
    };
    const { podSandboxId } = await core.runPodSandbox(create(RunPodSandboxRequestSchema, { config }), ctx());
    try {
      const pod = await core.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId }), ctx());
      assert.equal(pod.status?.state, PodSandboxState.SANDBOX_READY);

      await core.pullImage(create(PullImageRequestSchema, { image: { image: busyboxImage } }), ctx());
      const { containerId } = await core.createContainer(
        create(CreateContainerRequestSchema, {
          podSandboxId,
          config: {
            metadata: { name: "loop", attempt: 0 },
            image: { image: busyboxImage },
            command: ["sh", "-c", "while :; do sleep 1; done"],
            linux: {},
          },
          sandboxConfig: config,
        }),
        ctx(),
      );
      await core.startContainer(create(StartContainerRequestSchema, { containerId }), ctx());

      const exec = await core.execSync(create(ExecSyncRequestSchema, { containerId, cmd: ["echo", "hello"], timeout: 10n }), ctx());
      assert.equal(exec.exitCode, 0, new TextDecoder().decode(exec.stderr));
      assert.equal(new TextDecoder().decode(exec.stdout), "hello\n");
      const failing = await core.execSync(create(ExecSyncRequestSchema, { containerId, cmd: ["sh", "-c", "echo oops >&2; exit 3"], timeout: 10n }), ctx());
      assert.equal(failing.exitCode, 3);
      assert.equal(new TextDecoder().decode(failing.stderr), "oops\n");

      let status = (await core.containerStatus(create(ContainerStatusRequestSchema, { containerId }), ctx())).status;
      assert.equal(status?.state, ContainerState.CONTAINER_RUNNING);
      assert.equal(status?.image?.image, busyboxImage);

      await core.stopContainer(create(StopContainerRequestSchema, { containerId, timeout: 2n }), ctx());
      status = (await core.containerStatus(create(ContainerStatusRequestSchema, { containerId }), ctx())).status;
      assert.equal(status?.state, ContainerState.CONTAINER_EXITED);
      await core.removeContainer(create(RemoveContainerRequestSchema, { containerId }), ctx());
      await rejectsWithKind(core.containerStatus(create(ContainerStatusRequestSchema, { containerId }), ctx()), "not_found");

      await core.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId }), ctx());
      const stopped = await core.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId }), ctx());
      assert.equal(stopped.status?.state, PodSandboxState.SANDBOX_NOTREADY);
    } finally {
      await core.removePodSandbox(create(RemovePodSandboxRequestSchema, { podSandboxId }), ctx());
    }
    await rejectsWithKind(core.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId }), ctx()), "not_found");
  });
});
