/**
 * SPDY/3.1 streaming on the default (memory) runtime: crictl and kubectl
 * speak SPDY by default, so exec, attach and port forwarding must work over
 * it, not only over WebSocket. The client is test/interop/go-spdy, built on Debian's
 * spdystream and opening its streams the way client-go's v4 executor does.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { ImageService, RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import { runChannelSession } from "../helpers/channel-client.js";
import { createTransport } from "../helpers/cri-clients.js";
import { buildSpdyClient, spdyClientFailed, spdyClientSkipReason } from "../helpers/go-spdy-client.js";
import { startTestGateway, type TestGateway } from "../helpers/start-gateway.js";
import { describeResult, runCommand } from "../interop/run-command.js";

describe("SPDY/3.1 exec, attach and port forwarding on the memory runtime", { skip: spdyClientSkipReason() }, () => {
  let work: string;
  let spdyExec: string;
  let gateway: TestGateway;
  let close = () => {};
  let runtime: ReturnType<typeof createClient<typeof RuntimeService>>;
  let containerId: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "crigw-spdy-"));
    spdyExec = await buildSpdyClient(work);
    gateway = await startTestGateway();
    const made = createTransport({ url: gateway.url, socketPath: gateway.socketPath }, { protocol: "grpc", via: "unix", httpVersion: "2" });
    close = made.close;
    runtime = createClient(RuntimeService, made.transport);
    await createClient(ImageService, made.transport).pullImage({ image: { image: "busybox" } });
    const sandboxConfig = { metadata: { name: "spdy", uid: "spdy-uid", namespace: "default" } };
    const { podSandboxId } = await runtime.runPodSandbox({ config: sandboxConfig });
    ({ containerId } = await runtime.createContainer({
      podSandboxId,
      config: { metadata: { name: "sh" }, image: { image: "busybox" } },
      sandboxConfig,
    }));
    await runtime.startContainer({ containerId });
  });
  after(async () => {
    close();
    await gateway?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  const run = (url: string, stdin?: string) => runCommand(spdyExec, stdin === undefined ? [url] : [url, stdin], { timeoutMs: 20_000 });

  it("runs a command: stdout, stderr and the exit code", async () => {
    const { url } = await runtime.exec({ containerId, cmd: ["sh", "-c", "echo out; nosuchcommand; exit 5"], stdout: true, stderr: true });
    const result = await run(url);
    assert.equal(result.stdout, "out\n", describeResult("spdy-exec", result));
    assert.equal(result.stderr, "nosuchcommand: command not found\n");
    assert.equal(result.code, 5);
  });

  it("gives stdin, and its end, to a command", async () => {
    const { url } = await runtime.exec({ containerId, cmd: ["cat"], stdin: true, stdout: true, stderr: true });
    const result = await run(url, "through spdy\n");
    assert.equal(result.stdout, "through spdy\n", describeResult("spdy-exec", result));
    assert.equal(result.code, 0);
  });

  it("runs a shell line by line until exit", async () => {
    const { url } = await runtime.exec({ containerId, cmd: ["sh"], stdin: true, stdout: true, stderr: true });
    const result = await run(url, "echo one\necho two\nexit 3\necho never\n");
    assert.equal(result.stdout, "one\ntwo\n", describeResult("spdy-exec", result));
    assert.equal(result.code, 3);
  });

  it("attaches: the main process echoes stdin", async () => {
    const { url } = await runtime.attach({ containerId, stdin: true, stdout: true, stderr: true });
    const result = await run(url, "hello main\n");
    assert.equal(result.stdout, "hello main\n", describeResult("spdy-exec", result));
    assert.equal(result.code, 0);
  });

  it("refuses a used token", async () => {
    // The client opens stdout and stderr streams, as client-go does when both are asked for.
    const { url } = await runtime.exec({ containerId, cmd: ["true"], stdout: true, stderr: true });
    assert.equal((await run(url)).code, 0);
    const again = await run(url);
    assert.equal(again.code, spdyClientFailed);
    assert.match(again.stderr, /HTTP 404/);
  });

  it("forwards a port over SPDY (portforward.k8s.io): the simulated port echoes", async () => {
    const podSandboxId = (await runtime.listPodSandbox({})).items[0]?.id as string;
    const { url } = await runtime.portForward({ podSandboxId, port: [8080] });
    const result = await runCommand(spdyExec, ["-portforward", url, "8080", "ping over spdy"], { timeoutMs: 20_000 });
    assert.equal(result.stdout, "ping over spdy", describeResult("spdy-exec -portforward", result));
    assert.equal(result.code, 0);
  });

  it("reports an invalid port on the error stream", async () => {
    const podSandboxId = (await runtime.listPodSandbox({})).items[0]?.id as string;
    const { url } = await runtime.portForward({ podSandboxId, port: [8080] });
    const result = await runCommand(spdyExec, ["-portforward", url, "0", "x"], { timeoutMs: 20_000 });
    assert.equal(result.code, spdyClientFailed);
    assert.match(result.stderr, /invalid port "0"/);
  });

  it("refuses SPDY port forwarding that does not offer portforward.k8s.io, keeping the token", async () => {
    const podSandboxId = (await runtime.listPodSandbox({})).items[0]?.id as string;
    const { url: forward } = await runtime.portForward({ podSandboxId, port: [8080] });
    const refused = await run(forward); // offers v4.channel.k8s.io, not portforward.k8s.io
    assert.equal(refused.code, spdyClientFailed);
    assert.match(refused.stderr, /HTTP 400.*portforward\.k8s\.io/);
    const session = await runChannelSession(`${forward}?port=8080`, { protocols: ["v4.channel.k8s.io"], until: (frames) => frames.length >= 2 });
    assert.equal(session.refusedStatus, undefined, "the token was kept");
  });

  it("ends a session open at shutdown with a status saying so", async () => {
    const own = await startTestGateway();
    const made = createTransport({ url: own.url, socketPath: own.socketPath }, { protocol: "grpc", via: "unix", httpVersion: "2" });
    try {
      const client = createClient(RuntimeService, made.transport);
      await createClient(ImageService, made.transport).pullImage({ image: { image: "busybox" } });
      const sandboxConfig = { metadata: { name: "closing", uid: "closing-uid", namespace: "default" } };
      const { podSandboxId } = await client.runPodSandbox({ config: sandboxConfig });
      const { containerId: id } = await client.createContainer({
        podSandboxId,
        config: { metadata: { name: "sleeper" }, image: { image: "busybox" } },
        sandboxConfig,
      });
      await client.startContainer({ containerId: id });
      const { url } = await client.exec({ containerId: id, cmd: ["sleep", "100"], stdout: true, stderr: true });
      const running = run(url);
      await new Promise((resolve) => setTimeout(resolve, 500));
      made.close();
      const started = Date.now();
      await own.close();
      const result = await running;
      assert.ok(Date.now() - started < 5000);
      assert.equal(result.code, spdyClientFailed);
      assert.match(result.stderr, /the gateway is shutting down/);
    } finally {
      made.close();
      await own.close();
    }
  });
});
