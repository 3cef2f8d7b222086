/**
 * The `cri-gateway` command as a real child process: usage, usage errors, the
 * ready line, serving over TCP and the unix socket (mode 0600), and graceful
 * shutdown on SIGTERM and SIGINT with a call and a stream in flight.
 */
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { type CliServer, runCli, startCliServer } from "../helpers/cli-process.js";
import { createCriClients } from "../helpers/cri-clients.js";
import { type CurlTarget, curlJson } from "../helpers/curl.js";
import { makeTempDir } from "../helpers/start-gateway.js";
import { waitFor } from "../helpers/wait-for.js";

type Json = Record<string, unknown>;

/** How long a signalled gateway may take to exit. */
const exitBoundMs = 5000;

describe("cri-gateway CLI", () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  const servers: CliServer[] = [];
  before(async () => {
    temp = await makeTempDir();
  });
  after(async () => {
    for (const server of servers) server.kill();
    await temp.remove();
  });

  it("prints usage and exits 0 for --help", async () => {
    const result = await runCli(["--help"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^cri-gateway \S+: every Kubernetes CRI method/);
    assert.match(result.stdout, /Usage:\n {2}cri-gateway serve \[options\]/);
    assert.match(result.stdout, /--listen HOST:PORT/);
    assert.equal(result.stderr, "");
  });

  it("exits 2 with a message naming the value for an invalid --listen", async () => {
    const result = await runCli(["serve", "--listen", "localhost"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^cri-gateway: invalid --listen "localhost": expected HOST:PORT, \[IPV6\]:PORT, :PORT or none/);
    assert.equal(result.stdout, "");
  });

  it("serves on TCP and a 0600 unix socket, and on SIGTERM finishes an in-flight call, ends open streams and removes the socket", async () => {
    const socketPath = join(temp.dir, "term.sock");
    const server = await startCliServer(["--listen", "127.0.0.1:0", "--socket", socketPath]);
    servers.push(server);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(server.socketPath, socketPath);
    assert.equal(statSync(socketPath).mode & 0o777, 0o600, "socket file mode is 0600");

    // Over curl, on both listeners.
    const tcp: CurlTarget = { url: server.url };
    const unix: CurlTarget = { url: server.url, socketPath, http2: true };
    for (const target of [tcp, unix]) {
      const version = await curlJson(target, "RuntimeService/Version", {});
      assert.equal(version.status, 200);
      assert.equal((version.json as Json).runtimeName, "cri-gateway-memory");
    }
    const ok = async (rpc: string, body: unknown): Promise<Json> => {
      const res = await curlJson(tcp, rpc, body);
      assert.equal(res.status, 200, `${rpc}: ${res.body}`);
      return res.json as Json;
    };
    await ok("ImageService/PullImage", { image: { image: "busybox" } });
    const { podSandboxId } = await ok("RuntimeService/RunPodSandbox", { config: { metadata: { name: "cli", uid: "cli" } } });
    const { containerId } = await ok("RuntimeService/CreateContainer", {
      podSandboxId,
      config: { metadata: { name: "c" }, image: { image: "busybox" } },
    });
    await ok("RuntimeService/StartContainer", { containerId });

    // An open GetContainerEvents stream (gRPC over the socket).
    const clients = createCriClients({ url: server.url, socketPath }, { protocol: "grpc", via: "unix", httpVersion: "2" });
    const stream = (async () => {
      let events = 0;
      try {
        for await (const _ of clients.runtime.getContainerEvents({})) events++;
        return { events, error: undefined };
      } catch (err) {
        return { events, error: ConnectError.from(err) };
      }
    })();
    await waitFor("the event subscriber", async () => {
      const status = await ok("RuntimeService/Status", { verbose: true });
      const counts = JSON.parse(String((status.info as Json).counts)) as { eventSubscribers: number };
      return counts.eventSubscribers === 1;
    });

    // A slow ExecSync in flight when SIGTERM arrives.
    const slow = curlJson(tcp, "RuntimeService/ExecSync", { containerId, cmd: ["sh", "-c", "sleep 1; echo done"] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalled = Date.now();
    server.child.kill("SIGTERM");
    let execDone = false;
    const markDone = () => {
      execDone = true;
    };
    slow.then(markDone, markDone);
    // The path is freed at once, for a successor, while calls still drain.
    await waitFor("the socket file to be removed", () => !existsSync(socketPath), { timeoutMs: 2000 });
    assert.equal(execDone, false, "socket removed before the in-flight call finished");

    const exec = await slow;
    const execDoneAfter = Date.now() - signalled;
    assert.equal(exec.status, 200, exec.body);
    assert.ok(execDoneAfter > 400, `ExecSync was still running at SIGTERM (done ${execDoneAfter} ms after)`);
    assert.equal(Buffer.from(String((exec.json as Json).stdout), "base64").toString(), "done\n");

    const ended = await stream;
    clients.close();
    // The stream is told why it ended, so a kubelet can resubscribe elsewhere.
    assert.equal(ended.error?.code, Code.Unavailable, `stream ended with ${ended.error?.message}`);
    assert.equal(ended.error?.rawMessage, "gateway is shutting down");

    const exit = await server.exit(exitBoundMs);
    assert.equal(exit.code, 0, exit.stderr);
    assert.equal(exit.signal, null);
    assert.ok(Date.now() - signalled < exitBoundMs);
    assert.equal(existsSync(socketPath), false, "socket file still removed");
    assert.match(exit.stderr, /"msg":"shutting down","signal":"SIGTERM"/);
  });

  it("shuts down cleanly on SIGINT, removing the socket", async () => {
    const socketPath = join(temp.dir, "int.sock");
    const server = await startCliServer(["--listen", "127.0.0.1:0", "--socket", socketPath]);
    servers.push(server);
    const version = await curlJson({ url: server.url, socketPath }, "RuntimeService/Version", {});
    assert.equal(version.status, 200);
    const signalled = Date.now();
    server.child.kill("SIGINT");
    const exit = await server.exit(exitBoundMs);
    assert.equal(exit.code, 0, exit.stderr);
    assert.ok(Date.now() - signalled < exitBoundMs);
    assert.equal(existsSync(socketPath), false, "socket file removed");
    assert.match(exit.stderr, /"msg":"shutting down","signal":"SIGINT"/);
  });
});
