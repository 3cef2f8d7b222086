/**
 * Interop with Python grpcio from Debian (python3-grpcio: grpc-core, the C
 * implementation, not ours). Stubs are generated at test time with Debian's
 * grpc_tools.protoc; cri_client.py runs one pod/container lifecycle over
 * TCP, over the unix socket, and over the unix socket with the socket path
 * as :authority (the case Node's HTTP/2 rejects without our connection-level
 * fix). Needs the Debian packages that .ci/run installs; skips without them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type GatewayProcess, repoRoot, startGatewayProcess } from "./gateway-process.js";
import { criProtoFile, writeProtoForDebianProtoc } from "./proto-for-debian-protoc.js";
import { describeResult, runCommand } from "./run-command.js";

/** Debian's interpreter; `python3` on PATH may be another one without grpcio. */
const python = "/usr/bin/python3";
const script = join(repoRoot, "test", "interop", "cri_client.py");

const skip = whyPythonIsMissing();

type Step = Record<string, unknown> & { error?: { code: string; details: string } };
type Steps = Record<string, Step>;

/** Step `name`, asserting it did not fail. */
function okStep(steps: Steps, name: string): Step {
  const step = steps[name];
  assert.ok(step !== undefined, `no step "${name}" in ${JSON.stringify(steps)}`);
  assert.equal(step.error, undefined, `${name} failed: ${JSON.stringify(step.error)}`);
  return step;
}

describe("Python grpcio (Debian) against the gateway", { skip }, () => {
  let gateway: GatewayProcess;
  /** A second gateway whose remote core relays to the first. */
  let front: GatewayProcess;
  let work: string;
  let stubs: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "cri-interop-py-"));
    stubs = await writeProtoForDebianProtoc(join(work, "stubs"));
    const protoc = await runCommand(
      python,
      ["-m", "grpc_tools.protoc", `-I${stubs}`, `--python_out=${stubs}`, `--grpc_python_out=${stubs}`, criProtoFile],
      { cwd: stubs, timeoutMs: 30_000 },
    );
    assert.equal(protoc.code, 0, describeResult("grpc_tools.protoc", protoc));
    gateway = await startGatewayProcess();
    front = await startGatewayProcess(20_000, ["--runtime", "remote", "--upstream", `unix://${gateway.socketPath}`]);
  });

  after(async () => {
    await front?.stop();
    await gateway?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  const variants = [
    { name: "over TCP", target: () => gateway.hostPort, authority: () => undefined },
    { name: "over the unix socket", target: () => `unix:${gateway.socketPath}`, authority: () => undefined },
    {
      name: "over the unix socket with the socket path as :authority",
      target: () => `unix:${gateway.socketPath}`,
      authority: () => gateway.socketPath,
    },
    // grpcio's own framing and headers, relayed undecoded by a remote core.
    { name: "through a second gateway's remote core, over TCP", target: () => front.hostPort, authority: () => undefined },
    {
      name: "through a second gateway's remote core, over its socket with the path as :authority",
      target: () => `unix:${front.socketPath}`,
      authority: () => front.socketPath,
    },
  ];

  for (const variant of variants) {
    describe(variant.name, () => {
      let steps: Steps;

      before(async () => {
        const authority = variant.authority();
        const args = [script, "--stubs", stubs, "--target", variant.target(), "--suffix", randomBytes(4).toString("hex")];
        if (authority !== undefined) args.push("--authority", authority);
        const run = await runCommand(python, args, { timeoutMs: 60_000 });
        assert.equal(run.code, 0, `${describeResult("cri_client.py", run)}\n--- gateway ---\n${gateway.output()}\n--- front ---\n${front.output()}`);
        steps = (JSON.parse(run.stdout) as { steps: Steps }).steps;
      });

      it("Version and Status answer", () => {
        assert.deepEqual(okStep(steps, "version"), { runtime_api_version: "v1", runtime_name: "cri-gateway-memory" });
        const { conditions } = okStep(steps, "status") as { conditions: Record<string, boolean> };
        assert.equal(conditions.RuntimeReady, true);
        assert.equal(conditions.NetworkReady, true);
      });

      it("PullImage, then ListImages shows the image", () => {
        const { image_ref } = okStep(steps, "pull_image") as { image_ref: string };
        assert.match(image_ref, /^sha256:[0-9a-f]{64}$/);
        const { ids, repo_tags } = okStep(steps, "list_images") as { ids: string[]; repo_tags: string[] };
        assert.ok(ids.includes(image_ref), `${image_ref} not in ${ids.join(", ")}`);
        assert.ok(repo_tags.includes("docker.io/library/busybox:1.36"));
      });

      it("RunPodSandbox, CreateContainer and StartContainer leave it running", () => {
        assert.match((okStep(steps, "run_pod") as { pod_sandbox_id: string }).pod_sandbox_id, /^[0-9a-f]{64}$/);
        assert.match((okStep(steps, "create_container") as { container_id: string }).container_id, /^[0-9a-f]{64}$/);
        assert.deepEqual(okStep(steps, "start_container"), { state: "CONTAINER_RUNNING" });
      });

      it("ExecSync echo returns stdout and exit code 0", () => {
        assert.deepEqual(okStep(steps, "exec_sync"), { stdout: "hello from grpcio\n", stderr: "", exit_code: 0 });
      });

      it("an env value sent as bytes is what the process sees", () => {
        assert.deepEqual(okStep(steps, "exec_env"), { stdout: "hi from grpcio\n", exit_code: 0 });
      });

      it("CheckpointPod writes into the directory and leaves the pod running; RestorePod makes a new pod, its container CREATED", () => {
        assert.deepEqual(okStep(steps, "checkpoint_pod"), { files: 1, state: "CONTAINER_RUNNING" });
        assert.deepEqual(okStep(steps, "restore_pod"), {
          new_pod: true,
          names: ["py-ctr"],
          pod_state: "SANDBOX_READY",
          container_state: "CONTAINER_CREATED",
          role: "restored",
        });
      });

      it("ListContainers and StreamContainers with a label filter find exactly our container", () => {
        const id = (okStep(steps, "create_container") as { container_id: string }).container_id;
        assert.deepEqual(okStep(steps, "list_containers"), { ids: [id], states: ["CONTAINER_RUNNING"] });
        const streamed = okStep(steps, "stream_containers") as { chunks: number; ids: string[] };
        assert.ok(streamed.chunks >= 1);
        assert.deepEqual(streamed.ids, [id]);
      });

      it("GetContainerEvents delivers our container's events until cancelled", () => {
        const events = okStep(steps, "events_stream") as { container_events: string[]; end: string };
        // The subscription may start after CreateContainer; STOPPED comes late enough to be certain.
        assert.ok(events.container_events.includes("CONTAINER_STOPPED_EVENT"), JSON.stringify(events));
        assert.equal(events.end, "CANCELLED");
      });

      it("GetContainerEvents ends with DEADLINE_EXCEEDED at the caller's deadline", () => {
        assert.equal((okStep(steps, "events_deadline") as { code: string }).code, "DEADLINE_EXCEEDED");
      });

      it("ContainerStatus of an unknown id is NOT_FOUND", () => {
        const step = steps.status_unknown;
        assert.equal(step?.error?.code, "NOT_FOUND", JSON.stringify(step));
        assert.match(step.error.details, /not found/);
      });

      it("StopContainer, RemoveContainer, StopPodSandbox and RemovePodSandbox clean up", () => {
        assert.deepEqual(okStep(steps, "stop_container"), { state: "CONTAINER_EXITED" });
        assert.deepEqual(okStep(steps, "remove_container"), { remaining: 0 });
        assert.deepEqual(okStep(steps, "stop_pod"), { state: "SANDBOX_NOTREADY" });
        assert.deepEqual(okStep(steps, "remove_pod"), { remaining: 0 });
      });
    });
  }
});

/** A skip reason when Debian's Python gRPC stack is not installed, else false. */
function whyPythonIsMissing(): string | false {
  const probe = spawnSync(python, ["-c", "import grpc, grpc_tools.protoc, google.protobuf"], { encoding: "utf8" });
  if (probe.status === 0) return false;
  const detail = probe.error?.message ?? probe.stderr.trim().split("\n").at(-1) ?? "";
  return `needs Debian's python3-grpcio, python3-grpc-tools and python3-protobuf for ${python} (.ci/run installs them): ${detail}`;
}
