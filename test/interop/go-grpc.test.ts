/**
 * Interop with grpc-go, the kubelet/crictl family, built from Debian packages
 * only: golang-go, golang-google-grpc-dev (grpc-go 1.33), golang-google-
 * protobuf-dev and golang-github-golang-protobuf-1-5-dev under
 * /usr/share/gocode, plus protoc, protoc-gen-go and protoc-gen-go-grpc. The
 * client (go-client/main.go) is compiled once per run, in GOPATH mode with no
 * network, into a temp dir. Over the unix socket it dials like the kubelet's
 * remote runtime did for years: the socket path is the target and a custom
 * dialer opens it, so grpc-go sends the path as :authority, which Node's
 * HTTP/2 rejects without the gateway's connection-level fix. Skips with the
 * missing packages named when the toolchain is absent.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type GatewayProcess, repoRoot, startGatewayProcess } from "./gateway-process.js";
import { offlineGoEnv } from "./go-env.js";
import { criProtoFile, writeProtoForDebianProtoc } from "./proto-for-debian-protoc.js";
import { describeResult, onPath, runCommand } from "./run-command.js";

const gocode = "/usr/share/gocode/src";

/** What the build needs, and the Debian package that provides it. */
const requirements: ReadonlyArray<{ present: () => boolean; what: string; pkg: string }> = [
  { present: () => onPath("go"), what: "go", pkg: "golang-go" },
  { present: () => onPath("protoc"), what: "protoc", pkg: "protobuf-compiler" },
  { present: () => onPath("protoc-gen-go"), what: "protoc-gen-go", pkg: "protoc-gen-go" },
  { present: () => onPath("protoc-gen-go-grpc"), what: "protoc-gen-go-grpc", pkg: "protoc-gen-go-grpc" },
  { present: () => existsSync(join(gocode, "google.golang.org/grpc")), what: `${gocode}/google.golang.org/grpc`, pkg: "golang-google-grpc-dev" },
  {
    present: () => existsSync(join(gocode, "google.golang.org/protobuf")),
    what: `${gocode}/google.golang.org/protobuf`,
    pkg: "golang-google-protobuf-dev",
  },
  {
    // registry.go marks golang/protobuf >= 1.4 (the APIv2 shim); Debian's 1-3 package lacks it.
    present: () => existsSync(join(gocode, "github.com/golang/protobuf/proto/registry.go")),
    what: `${gocode}/github.com/golang/protobuf >= 1.4`,
    pkg: "golang-github-golang-protobuf-1-5-dev",
  },
];

const missing = requirements.filter((r) => !r.present());
const skip =
  missing.length === 0
    ? false
    : `needs the Debian Go gRPC toolchain (.ci/run installs it); missing ${missing.map((r) => `${r.what} (${r.pkg})`).join(", ")}`;

type Step = Record<string, unknown> & { error?: { code: string; message: string } };
interface ClientOutput {
  target: string;
  steps: Record<string, Step>;
}

function okStep(out: ClientOutput, name: string): Step {
  const step = out.steps[name];
  assert.ok(step !== undefined, `no step "${name}" in ${JSON.stringify(out.steps)}`);
  assert.equal(step.error, undefined, `${name} failed: ${JSON.stringify(step.error)}`);
  return step;
}

/** Generate the stubs and build the client in `work`; returns the binary's path. */
async function buildGoClient(work: string): Promise<string> {
  const gopath = join(work, "gopath");
  const includeRoot = await writeProtoForDebianProtoc(join(work, "proto"));
  await mkdir(join(gopath, "src", "criinterop"), { recursive: true });
  // go_package is k8s.io/cri-api/pkg/apis/runtime/v1, so the stubs land at
  // that import path under $GOPATH/src, where the kubelet imports them from.
  const protoc = await runCommand(
    "protoc",
    [`-I${includeRoot}`, `--go_out=${join(gopath, "src")}`, `--go-grpc_out=${join(gopath, "src")}`, criProtoFile],
    { timeoutMs: 30_000 },
  );
  assert.equal(protoc.code, 0, describeResult("protoc --go_out --go-grpc_out", protoc));
  await copyFile(join(repoRoot, "test", "interop", "go-client", "main.go"), join(gopath, "src", "criinterop", "main.go"));

  const binary = join(work, "cri-go-client");
  const env = offlineGoEnv(work, [gopath]);
  const build = await runCommand("go", ["build", "-o", binary, "criinterop"], { cwd: work, env, timeoutMs: 120_000 });
  assert.equal(build.code, 0, describeResult("go build (GOPATH mode, Debian sources)", build));
  return binary;
}

describe("grpc-go (Debian) against the gateway", { skip }, () => {
  let gateway: GatewayProcess;
  /** A second gateway whose remote core relays to the first. */
  let front: GatewayProcess;
  let work: string;
  let binary: string;

  before(
    async () => {
      work = await mkdtemp(join(tmpdir(), "cri-interop-go-"));
      [binary, gateway] = await Promise.all([buildGoClient(work), startGatewayProcess()]);
      front = await startGatewayProcess(20_000, ["--runtime", "remote", "--upstream", `unix://${gateway.socketPath}`]);
    },
    { timeout: 150_000 },
  );

  after(async () => {
    await front?.stop();
    await gateway?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  const variants = [
    { name: "over the unix socket, target = socket path (kubelet style)", mode: "unix", addr: () => gateway.socketPath },
    { name: "over TCP", mode: "tcp", addr: () => gateway.hostPort },
    // The kubelet's way of dialing, relayed undecoded by a remote core.
    { name: "through a second gateway's remote core, kubelet style", mode: "unix", addr: () => front.socketPath },
  ];

  for (const variant of variants) {
    describe(variant.name, () => {
      let out: ClientOutput;

      before(async () => {
        const args = ["-mode", variant.mode, "-addr", variant.addr(), "-suffix", randomBytes(4).toString("hex")];
        const run = await runCommand(binary, args, { timeoutMs: 60_000 });
        assert.equal(run.code, 0, `${describeResult("cri-go-client", run)}\n--- gateway ---\n${gateway.output()}\n--- front ---\n${front.output()}`);
        out = JSON.parse(run.stdout) as ClientOutput;
      });

      it("dials the target the kubelet would", () => {
        assert.equal(out.target, variant.addr());
      });

      it("Version answers", () => {
        assert.deepEqual(okStep(out, "version"), { runtime_api_version: "v1", runtime_name: "cri-gateway-memory" });
      });

      it("PullImage, RunPodSandbox, CreateContainer and StartContainer leave it running", () => {
        assert.match((okStep(out, "pull_image") as { image_ref: string }).image_ref, /^sha256:[0-9a-f]{64}$/);
        assert.match((okStep(out, "run_pod") as { pod_sandbox_id: string }).pod_sandbox_id, /^[0-9a-f]{64}$/);
        assert.match((okStep(out, "create_container") as { container_id: string }).container_id, /^[0-9a-f]{64}$/);
        assert.deepEqual(okStep(out, "start_container"), { state: "CONTAINER_RUNNING" });
      });

      it("ExecSync echo returns stdout and exit code 0", () => {
        assert.deepEqual(okStep(out, "exec_sync"), { stdout: "hello from grpc-go\n", stderr: "", exit_code: 0 });
      });

      it("an env value sent as []byte is what the process sees", () => {
        assert.deepEqual(okStep(out, "exec_env"), { stdout: "hi from grpc-go\n", exit_code: 0 });
      });

      it("CheckpointPod writes into the directory and leaves the pod running; RestorePod makes a new pod, its container CREATED", () => {
        assert.deepEqual(okStep(out, "checkpoint_pod"), { files: 1, state: "CONTAINER_RUNNING" });
        assert.deepEqual(okStep(out, "restore_pod"), {
          new_pod: true,
          names: ["go-ctr"],
          pod_state: "SANDBOX_READY",
          container_state: "CONTAINER_CREATED",
          role: "restored",
        });
      });

      it("ListContainers and the StreamContainers server stream find exactly our container", () => {
        const id = (okStep(out, "create_container") as { container_id: string }).container_id;
        assert.deepEqual(okStep(out, "list_containers"), { ids: [id] });
        const streamed = okStep(out, "stream_containers") as { chunks: number; ids: string[] };
        assert.ok(streamed.chunks >= 1);
        assert.deepEqual(streamed.ids, [id]);
      });

      it("ContainerStatus of an unknown id is NotFound", () => {
        assert.deepEqual(okStep(out, "status_unknown"), { code: "NotFound" });
      });

      it("StopContainer, RemoveContainer, StopPodSandbox and RemovePodSandbox clean up", () => {
        assert.deepEqual(okStep(out, "stop_container"), { state: "CONTAINER_EXITED" });
        assert.deepEqual(okStep(out, "remove_container"), { remaining: 0 });
        assert.deepEqual(okStep(out, "stop_pod"), { state: "SANDBOX_NOTREADY" });
        assert.deepEqual(okStep(out, "remove_pod"), { remaining: 0 });
      });

      it(
        "GetContainerEvents ends with DeadlineExceeded at the caller's deadline",
        () => {
          // Either side's timer may fire first: grpc-go's ("context deadline
          // exceeded") or the gateway's ("the operation timed out"); the code is what counts.
          assert.equal((okStep(out, "events_deadline") as { code: string }).code, "DeadlineExceeded");
        },
      );
    });
  }
});

/**
 * With only the server's deadline in play (curl sends grpc-timeout and sets
 * no deadline of its own), the gRPC spec wants the stream to end with
 * grpc-status 4. A stream that ended with status 0 made grpc-go sometimes
 * see a clean EOF instead of DeadlineExceeded; this pins the server side.
 */
describe("a server stream cut by the server-side deadline (raw gRPC via curl)", { skip: onPath("curl") ? false : "needs curl" }, () => {
  let gateway: GatewayProcess;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "cri-interop-deadline-"));
    await writeFile(join(work, "empty.grpc"), Buffer.alloc(5)); // one uncompressed, empty GetEventsRequest
    gateway = await startGatewayProcess();
  });

  after(async () => {
    await gateway?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it(
    "GetContainerEvents with grpc-timeout: 300m ends with grpc-status 4 (DEADLINE_EXCEEDED)",
    async () => {
      const run = await runCommand(
        "curl",
        [
          ...["-sS", "-D", "-", "-o", "/dev/null", "--max-time", "10", "--http2-prior-knowledge"],
          ...["-H", "content-type: application/grpc", "-H", "te: trailers", "-H", "grpc-timeout: 300m"],
          ...["--data-binary", `@${join(work, "empty.grpc")}`, `${gateway.url}/runtime.v1.RuntimeService/GetContainerEvents`],
        ],
        { timeoutMs: 15_000 },
      );
      assert.equal(run.code, 0, describeResult("curl", run));
      assert.match(run.stdout, /^grpc-status: 4\r?$/m, run.stdout);
    },
  );
});
