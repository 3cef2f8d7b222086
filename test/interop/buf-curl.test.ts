/**
 * Interop with `buf curl` (connect-go underneath, from @bufbuild/buf in
 * node_modules): every protocol it speaks, over HTTP/1.1 where the protocol
 * allows it and over h2c, on the TCP port and on the unix socket. The schema
 * is the local proto file, so no reflection and no network.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type GatewayProcess, repoRoot, startGatewayProcess } from "./gateway-process.js";
import { type CommandResult, describeResult, runCommand } from "./run-command.js";

const buf = join(repoRoot, "node_modules", ".bin", "buf");
const schema = join(repoRoot, "proto", "runtime", "v1", "api.proto");
const skip = existsSync(buf) ? false : `needs ${buf} (npm ci installs @bufbuild/buf)`;

/** A way of reaching the gateway: protocol, HTTP version, transport. */
interface Route {
  readonly name: string;
  readonly protocol: "grpc" | "grpcweb" | "connect";
  readonly h2: boolean;
  readonly unix: boolean;
}

const routes: Route[] = [];
for (const unix of [false, true]) {
  for (const [protocol, h2] of [
    ["grpc", true],
    ["grpcweb", false],
    ["grpcweb", true],
    ["connect", false],
    ["connect", true],
  ] as const) {
    routes.push({ name: `${protocol} over ${h2 ? "h2c" : "HTTP/1.1"} on ${unix ? "the unix socket" : "TCP"}`, protocol, h2, unix });
  }
}

describe("buf curl against the gateway", { skip }, () => {
  let gateway: GatewayProcess;
  let work: string;
  const suffix = randomBytes(4).toString("hex");
  const runLabel = { "interop.cri-gateway/run": suffix };
  let podSandboxId: string;
  let containerId: string;

  /** `buf curl` one method over `route` with a JSON request. */
  const call = (route: Route, method: string, request: unknown): Promise<CommandResult> => {
    const service = /Image/.test(method) ? "ImageService" : "RuntimeService";
    const base = route.unix ? "http://localhost" : gateway.url;
    const args = ["curl", "--schema", schema, "--protocol", route.protocol, "--data", JSON.stringify(request)];
    if (route.h2) args.push("--http2-prior-knowledge");
    if (route.unix) args.push("--unix-socket", gateway.socketPath);
    args.push(`${base}/runtime.v1.${service}/${method}`);
    return runCommand(buf, args, { cwd: repoRoot, env: { ...process.env, BUF_CACHE_DIR: join(work, "buf-cache") }, timeoutMs: 30_000 });
  };

  /** Call and parse the JSON reply, failing with buf's output on a non-zero exit. */
  const callOk = async (route: Route, method: string, request: unknown): Promise<Record<string, unknown>> => {
    const run = await call(route, method, request);
    assert.equal(run.code, 0, describeResult(`buf curl ${route.name} ${method}`, run));
    return JSON.parse(run.stdout) as Record<string, unknown>;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "cri-interop-buf-"));
    gateway = await startGatewayProcess();
    // Something for ListContainers to find, made with buf curl itself.
    const setup: Route = { name: "setup", protocol: "connect", h2: false, unix: false };
    const image = { image: "docker.io/library/busybox:1.36" };
    await callOk(setup, "PullImage", { image });
    const podConfig = {
      metadata: { name: `buf-pod-${suffix}`, namespace: "interop", uid: `uid-buf-${suffix}` },
      hostname: `buf-pod-${suffix}`,
      labels: runLabel,
      linux: {},
    };
    podSandboxId = String((await callOk(setup, "RunPodSandbox", { config: podConfig })).podSandboxId);
    const config = { metadata: { name: "buf-ctr" }, image, command: ["sleep", "3600"], labels: runLabel, linux: {} };
    containerId = String((await callOk(setup, "CreateContainer", { podSandboxId, config, sandboxConfig: podConfig })).containerId);
    await callOk(setup, "StartContainer", { containerId });
  });

  after(async () => {
    await gateway?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  for (const route of routes) {
    it(`Version, ListContainers and a NOT_FOUND error via ${route.name}`, async () => {
      const [version, list, unknown] = await Promise.all([
        callOk(route, "Version", { version: "v1" }),
        callOk(route, "ListContainers", { filter: { labelSelector: runLabel } }),
        call(route, "ContainerStatus", { containerId: `does-not-exist-${suffix}` }),
      ]);
      assert.deepEqual(version, {
        version: "0.1.0",
        runtimeName: "cri-gateway-memory",
        runtimeVersion: "0.1.0",
        runtimeApiVersion: "v1",
      });
      const containers = list.containers as Array<Record<string, unknown>>;
      assert.equal(containers.length, 1, JSON.stringify(list));
      assert.equal(containers[0]?.id, containerId);
      assert.equal(containers[0]?.podSandboxId, podSandboxId);
      assert.equal(containers[0]?.state, "CONTAINER_RUNNING");
      assert.deepEqual(containers[0]?.labels, runLabel);
      // buf curl exits with 8 × the code; NotFound is 5.
      assert.equal(unknown.code, 40, describeResult("buf curl ContainerStatus", unknown));
      const error = JSON.parse(unknown.stderr) as { code: string; message: string };
      assert.equal(error.code, "not_found");
      assert.match(error.message, /not found/);
    });
  }
});
