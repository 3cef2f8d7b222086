/**
 * The streaming endpoint end to end, through a real gateway with the memory
 * runtime: Exec, Attach and PortForward URLs served over WebSocket
 * (v5.channel.k8s.io and v4.channel.k8s.io) on TCP and the unix socket;
 * single-use and expiring tokens; requests that must not use up a token;
 * the Host check on upgrades; shutdown with a session open; and curl's h2c
 * upgrade offer declined and served over HTTP/1.1.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { Code } from "@connectrpc/connect";
import { WebSocket } from "ws";
import { runChannelSession } from "../helpers/channel-client.js";
import { type CriClients, createCriClients } from "../helpers/cri-clients.js";
import { curlPath, runCurl } from "../helpers/curl.js";
import { rejectsWithCode } from "../helpers/expect-code.js";
import { type TestGateway, makeTempDir, startTestGateway } from "../helpers/start-gateway.js";

const v5 = "v5.channel.k8s.io";
const v4 = "v4.channel.k8s.io";
const combo = { protocol: "connect-json", via: "tcp", httpVersion: "1.1" } as const;

/** Pull busybox, run a pod and start `count` containers in it. */
async function setUp(clients: CriClients, name: string, count: number): Promise<{ podId: string; containerIds: string[] }> {
  const image = "docker.io/library/busybox:latest";
  await clients.image.pullImage({ image: { image } });
  const { podSandboxId: podId } = await clients.runtime.runPodSandbox({
    config: { metadata: { name, namespace: "e2e", uid: `uid-${name}`, attempt: 0 }, hostname: name, linux: {} },
  });
  const containerIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const { containerId } = await clients.runtime.createContainer({
      podSandboxId: podId,
      config: { metadata: { name: `c${i}`, attempt: 0 }, image: { image }, command: ["sleep", "3600"], linux: {} },
      sandboxConfig: { metadata: { name, namespace: "e2e", uid: `uid-${name}`, attempt: 0 } },
    });
    await clients.runtime.startContainer({ containerId });
    containerIds.push(containerId);
  }
  return { podId, containerIds };
}

/** Send `request` as is on a fresh connection and read until the server closes it. */
function rawExchange(target: { port: number } | { path: string }, request: string): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = "port" in target ? net.connect(target.port, "127.0.0.1") : net.connect(target.path);
    let received = "";
    socket.setTimeout(5000, () => socket.destroy(new Error(`connection not closed within 5 s; got ${JSON.stringify(received)}`)));
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
    socket.on("error", reject);
    socket.on("close", () => {
      const split = received.indexOf("\r\n\r\n");
      const head = split < 0 ? received : received.slice(0, split);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: split < 0 ? "" : received.slice(split + 4) });
    });
    socket.write(request);
  });
}

/** Run curl with `args`; resolves with stdout. */
function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(curlPath, ["--silent", "--show-error", "--max-time", "10", ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`curl ${args.join(" ")} failed: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

describe("streaming with the memory runtime", () => {
  let gw: TestGateway;
  let clients: CriClients;
  let podId: string;
  let containerId: string;
  let spareIds: string[];

  before(async () => {
    gw = await startTestGateway();
    clients = createCriClients(gw, combo);
    const made = await setUp(clients, "streaming", 4);
    podId = made.podId;
    [containerId = "", ...spareIds] = made.containerIds;
  });
  after(async () => {
    clients.close();
    await gw.close();
  });

  const exec = async (cmd: string[], flags: { stdin?: boolean; stdout?: boolean; stderr?: boolean; tty?: boolean } = {}) =>
    (await clients.runtime.exec({ containerId, cmd, stdout: true, ...flags })).url;
  const pathOf = (url: string) => new URL(url).pathname;

  describe("exec", () => {
    for (const { offered, name } of [
      { offered: [v5, v4], name: "v5" },
      { offered: [v4], name: "v4 (the only protocol offered)" },
    ]) {
      it(`runs echo over ${name}: stdout, Success, a normal close`, async () => {
        const url = await exec(["echo", "hello", "world"]);
        assert.ok(url.startsWith(`${gw.url}/stream/exec/`), `${url} is on the gateway`);
        const session = await runChannelSession(url, { protocols: offered });
        assert.equal(session.refusedStatus, undefined, session.refusedBody);
        assert.equal(session.protocol, offered[0]);
        assert.equal(session.stdout, "hello world\n");
        assert.equal(session.stderr, "");
        assert.equal(session.status?.status, "Success");
        assert.equal(session.exitCode, 0);
        assert.equal(session.closeCode, 1000);
      });
    }

    it("reports a non-zero exit code as NonZeroExitCode with the ExitCode cause", async () => {
      const session = await runChannelSession(await exec(["sh", "-c", "echo out; exit 3"]));
      assert.equal(session.stdout, "out\n");
      assert.equal(session.status?.status, "Failure");
      assert.equal(session.status?.reason, "NonZeroExitCode");
      assert.deepEqual(session.status?.details?.causes, [{ reason: "ExitCode", message: "3" }]);
      assert.equal(session.exitCode, 3);
      assert.equal(session.closeCode, 1000);
    });

    it("sends stderr on its own channel only when asked for", async () => {
      const script = ["sh", "-c", "echo fine; cat /no/such/file"];
      const withStderr = await runChannelSession(await exec(script, { stderr: true }));
      assert.equal(withStderr.stdout, "fine\n");
      assert.match(withStderr.stderr, /\/no\/such\/file/);
      assert.ok(withStderr.frames.some((f) => f.channel === 2), "stderr came on channel 2");
      assert.notEqual(withStderr.exitCode, 0);
      const withoutStderr = await runChannelSession(await exec(script));
      assert.equal(withoutStderr.stdout, "fine\n");
      assert.ok(!withoutStderr.frames.some((f) => f.channel === 2), "nothing on channel 2 when stderr was not requested");
    });

    it("feeds stdin to cat and runs it once v5 closes stdin", async () => {
      const session = await runChannelSession(await exec(["cat"], { stdin: true }), {
        stdin: ["first chunk, ", "second chunk\n", "third\n"],
        closeStdin: true,
      });
      assert.equal(session.protocol, v5);
      assert.equal(session.stdout, "first chunk, second chunk\nthird\n");
      assert.equal(session.status?.status, "Success");
      assert.equal(session.closeCode, 1000);
    });

    it("runs an interactive sh on a tty: prompt, echoed input, output, exit code", async () => {
      const session = await runChannelSession(await exec(["sh"], { stdin: true, tty: true }), {
        stdin: ["echo hi\r", "exit 4\r"],
      });
      assert.equal(session.stderr, "", "a tty has one output stream");
      assert.ok(session.stdout.startsWith("# "), `starts with the root prompt: ${JSON.stringify(session.stdout)}`);
      assert.ok(session.stdout.includes("echo hi\r\n"), `input echoed: ${JSON.stringify(session.stdout)}`);
      // "hi\r\n" appears twice: once in the echoed command line, once as its output.
      assert.equal(session.stdout.split("hi\r\n").length - 1, 2, JSON.stringify(session.stdout));
      assert.ok(session.stdout.includes("exit 4\r\n"), JSON.stringify(session.stdout));
      assert.ok(!/[^\r]\n/.test(session.stdout), `every newline is \\r\\n on a tty: ${JSON.stringify(session.stdout)}`);
      assert.equal(session.exitCode, 4);
      assert.equal(session.status?.reason, "NonZeroExitCode");
    });

    it("runs an interactive sh without a tty line by line until stdin closes", async () => {
      const session = await runChannelSession(await exec(["sh"], { stdin: true }), {
        stdin: ["echo one\n", "echo two\necho th", "ree\n"],
        closeStdin: true,
      });
      assert.equal(session.stdout, "one\ntwo\nthree\n", "no prompt, no echo");
      assert.equal(session.status?.status, "Success");
    });

    it("reports exit code 137 when the container stops while the command runs", async () => {
      const id = spareIds[2] as string;
      const { url } = await clients.runtime.exec({ containerId: id, cmd: ["sh", "-c", "echo started; sleep 1; echo finished"], stdout: true });
      const running = runChannelSession(url, { timeoutMs: 10_000 });
      await delay(300);
      await clients.runtime.stopContainer({ containerId: id, timeout: 0n });
      const session = await running;
      assert.equal(session.exitCode, 137);
      assert.equal(session.status?.reason, "NonZeroExitCode");
      assert.ok(session.stdout.startsWith("started\n"), session.stdout);
    });

    it("fails the session, naming the container, when the container stopped before the client connected", async () => {
      const id = spareIds[0] as string;
      const { url } = await clients.runtime.exec({ containerId: id, cmd: ["echo", "x"], stdout: true });
      await clients.runtime.stopContainer({ containerId: id, timeout: 0n });
      const session = await runChannelSession(url);
      assert.equal(session.status?.status, "Failure");
      assert.match(session.status?.message ?? "", new RegExp(id));
      assert.equal(session.stdout, "");
      assert.equal(session.closeCode, 1000);
      // The Exec RPC itself refuses a container that is not running.
      await rejectsWithCode(clients.runtime.exec({ containerId: id, cmd: ["echo"], stdout: true }), Code.FailedPrecondition, /not running|EXITED|exited/i);
    });
  });

  describe("tokens", () => {
    it("are single use: a second connect gets 404 not_found", async () => {
      const url = await exec(["echo", "once"]);
      assert.equal((await runChannelSession(url)).stdout, "once\n");
      const again = await runChannelSession(url);
      assert.equal(again.refusedStatus, 404);
      assert.equal((JSON.parse(again.refusedBody ?? "") as { code: string }).code, "not_found");
    });

    it("answer 404 under another kind's path (an exec token under /stream/attach/)", async () => {
      const url = await exec(["echo", "x"]);
      const session = await runChannelSession(url.replace("/stream/exec/", "/stream/attach/"));
      assert.equal(session.refusedStatus, 404);
      assert.equal((JSON.parse(session.refusedBody ?? "") as { code: string }).code, "not_found");
    });

    for (const path of ["/stream/exec/not.a.token", "/stream/shell/abc", "/stream/exec/", "/stream/exec/a/b"]) {
      it(`answer 404 for the malformed path ${path}`, async () => {
        const session = await runChannelSession(`${gw.url}${path}`);
        assert.equal(session.refusedStatus, 404);
        assert.equal((JSON.parse(session.refusedBody ?? "") as { code: string }).code, "not_found");
      });
    }

    it("survive a plain GET (400 JSON), which does not use them up", async () => {
      const url = await exec(["echo", "after get"]);
      const response = await fetch(url);
      assert.equal(response.status, 400);
      assert.match(response.headers.get("content-type") ?? "", /application\/json/);
      const body = (await response.json()) as { code: string; message: string };
      assert.equal(body.code, "invalid_argument");
      assert.match(body.message, /upgrade/);
      assert.equal((await runChannelSession(url)).stdout, "after get\n");
    });

    it("survive an HTTP/2 GET (400 JSON)", async () => {
      const url = await exec(["echo", "after h2"]);
      const response = await runCurl({ url: gw.url, http2: true }, { method: "GET", path: pathOf(url) });
      assert.equal(response.httpVersion, "2");
      assert.equal(response.status, 400);
      assert.equal((JSON.parse(response.body) as { code: string }).code, "invalid_argument");
      assert.equal((await runChannelSession(url)).stdout, "after h2\n");
    });

    it("survive a SPDY upgrade offering no stream protocol the runtime speaks (400)", async () => {
      const url = await exec(["echo", "after spdy"]);
      const { port } = new URL(gw.url);
      const answer = await rawExchange(
        { port: Number(port) },
        `POST ${pathOf(url)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n` +
          "X-Stream-Protocol-Version: channel.k8s.io\r\nContent-Length: 0\r\n\r\n",
      );
      assert.equal(answer.status, 400, answer.head);
      const body = JSON.parse(answer.body) as { code: string; message: string };
      assert.equal(body.code, "invalid_argument");
      assert.match(body.message, /v4\.channel\.k8s\.io/);
      assert.equal((await runChannelSession(url)).stdout, "after spdy\n");
    });

    it("survive a WebSocket offering no supported subprotocol (400)", async () => {
      const url = await exec(["echo", "after bad protocol"]);
      const refused = await runChannelSession(url, { protocols: ["v3.channel.k8s.io", "base64.channel.k8s.io"] });
      assert.equal(refused.refusedStatus, 400);
      assert.match(refused.refusedBody ?? "", /v5\.channel\.k8s\.io/);
      const session = await runChannelSession(url);
      assert.equal(session.stdout, "after bad protocol\n");
    });
  });

  describe("attach", () => {
    it("echoes stdin and ends with Success when stdin closes", async () => {
      const { url } = await clients.runtime.attach({ containerId, stdin: true, stdout: true });
      assert.ok(url.startsWith(`${gw.url}/stream/attach/`), url);
      const session = await runChannelSession(url, { stdin: ["ping\n", "pong\n"], closeStdin: true });
      assert.equal(session.stdout, "ping\npong\n");
      assert.equal(session.status?.status, "Success");
      assert.equal(session.closeCode, 1000);
    });

    it("without stdin ends with Success when the container stops", async () => {
      const id = spareIds[1] as string;
      const { url } = await clients.runtime.attach({ containerId: id, stdout: true });
      const running = runChannelSession(url, { timeoutMs: 10_000 });
      await delay(500);
      await clients.runtime.stopContainer({ containerId: id, timeout: 0n });
      const session = await running;
      assert.equal(session.refusedStatus, undefined);
      assert.equal(session.status?.status, "Success");
      assert.equal(session.closeCode, 1000);
    });
  });

  describe("portforward", () => {
    it("names the port on both channels, then echoes data on the data channel", async () => {
      const { url } = await clients.runtime.portForward({ podSandboxId: podId, port: [8080] });
      assert.ok(url.startsWith(`${gw.url}/stream/portforward/`), url);
      const portName = Buffer.from([8080 & 0xff, 8080 >> 8]);
      const session = await runChannelSession(`${url}?port=8080`, {
        send: [[0, "GET / HTTP/1.0\r\n\r\n"]],
        until: (frames) => frames.filter((f) => f.channel === 0).length >= 2,
      });
      assert.equal(session.refusedStatus, undefined, session.refusedBody);
      const data = session.frames.filter((f) => f.channel === 0);
      const errors = session.frames.filter((f) => f.channel === 1);
      assert.deepEqual(data[0]?.data, portName, "first data-channel message is the port, little-endian");
      assert.deepEqual(errors[0]?.data, portName, "first error-channel message is the port, little-endian");
      assert.equal(data[1]?.data.toString(), "GET / HTTP/1.0\r\n\r\n");
      assert.equal(errors.length, 1, "no errors");
    });

    it("gives each port of the query its own pair of channels", async () => {
      const { url } = await clients.runtime.portForward({ podSandboxId: podId, port: [80] });
      const session = await runChannelSession(`${url}?port=8080&port=9090`, {
        send: [[2, "to 9090"], [0, "to 8080"]],
        until: (frames) => frames.filter((f) => f.channel === 0).length >= 2 && frames.filter((f) => f.channel === 2).length >= 2,
      });
      const on = (channel: number) => session.frames.filter((f) => f.channel === channel).map((f) => f.data);
      const name = (port: number) => Buffer.from([port & 0xff, port >> 8]);
      assert.deepEqual(on(0), [name(8080), Buffer.from("to 8080")]);
      assert.deepEqual(on(1), [name(8080)]);
      assert.deepEqual(on(2), [name(9090), Buffer.from("to 9090")]);
      assert.deepEqual(on(3), [name(9090)]);
    });
  });

  it("declines a WebSocket upgrade outside /stream/ and serves the request as plain HTTP/1.1", async () => {
    const session = await runChannelSession(`${gw.url}/healthz`);
    assert.equal(session.refusedStatus, 200);
    assert.equal((JSON.parse(session.refusedBody ?? "") as { status: string }).status, "ok");
  });

  describe("the Host check", () => {
    it("refuses an upgrade naming another host on TCP with 421 and closes the connection", async () => {
      const url = await exec(["echo", "x"]);
      const { port } = new URL(gw.url);
      const answer = await rawExchange(
        { port: Number(port) },
        `GET ${pathOf(url)} HTTP/1.1\r\nHost: evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: ${v5}\r\n\r\n`,
      );
      assert.equal(answer.status, 421, answer.head);
      assert.equal((JSON.parse(answer.body) as { code: string }).code, "permission_denied");
      // The refused upgrade did not use the token.
      assert.equal((await runChannelSession(url)).stdout, "x\n");
    });

    it("does not apply on the unix socket", async () => {
      const url = await exec(["echo", "over the socket"]);
      const session = await runChannelSession(`ws+unix://${gw.socketPath}:${pathOf(url)}`, { headers: { Host: "evil.example" } });
      assert.equal(session.refusedStatus, undefined, session.refusedBody);
      assert.equal(session.stdout, "over the socket\n");
      assert.equal(session.status?.status, "Success");
    });
  });

  describe("curl's h2c upgrade offer", () => {
    it("is declined: GET /healthz is answered over HTTP/1.1", async () => {
      const out = await curl(["--http2", "-w", "\n[%{http_code} %{http_version}]", `${gw.url}/healthz`]);
      assert.match(out, /\n\[200 1\.1\]$/, out);
    });

    it("is declined for a Connect JSON POST with a body", async () => {
      const out = await curl([
        "--http2",
        "-X", "POST",
        "-H", "content-type: application/json",
        "-d", "{}",
        "-w", "\n[%{http_code} %{http_version}]",
        `${gw.url}/runtime.v1.RuntimeService/Version`,
      ]);
      const [body = "", trailer = ""] = out.split("\n");
      assert.equal(trailer, "[200 1.1]", out);
      const json = JSON.parse(body) as { runtimeApiVersion?: string; runtimeName?: string };
      assert.equal(json.runtimeApiVersion, "v1");
      assert.ok((json.runtimeName ?? "") !== "", body);
    });

    it("is declined and the connection then serves a second request", async () => {
      const out = await curl(["--http2", "-w", "[%{http_code} %{http_version} %{num_connects}]\n", `${gw.url}/healthz`, `${gw.url}/readyz`]);
      const results = [...out.matchAll(/\[(\d{3}) (\S+) (\d+)\]/g)].map((m) => [m[1], m[2], m[3]]);
      assert.deepEqual(results, [
        ["200", "1.1", "1"],
        ["200", "1.1", "0"],
      ], out);
    });
  });

  it("keeps serving calls after all of the above", async () => {
    assert.equal((await clients.runtime.version({})).runtimeApiVersion, "v1");
    assert.equal((await runChannelSession(await exec(["echo", "still here"]))).stdout, "still here\n");
  });
});

describe("streaming tokens with a short TTL, and shutdown", () => {
  let gw: TestGateway;
  let clients: CriClients;
  let containerId: string;

  before(async () => {
    // The gateway's own setting (--stream-token-ttl-ms) reaches the memory
    // runtime's sessions, not only the proxy's tokens.
    gw = await startTestGateway({ streamTokenTtlMs: 1000 });
    clients = createCriClients(gw, combo);
    containerId = (await setUp(clients, "short-ttl", 1)).containerIds[0] as string;
  });
  after(async () => {
    clients.close();
    await gw.close();
  });

  it("refuses an expired token with 404 not_found", async () => {
    const { url } = await clients.runtime.exec({ containerId, cmd: ["echo", "late"], stdout: true });
    assert.ok(url.startsWith(`${gw.url}/stream/exec/`), url);
    await delay(1200);
    const session = await runChannelSession(url);
    assert.equal(session.refusedStatus, 404);
    assert.equal((JSON.parse(session.refusedBody ?? "") as { code: string }).code, "not_found");
    // A fresh one still works.
    const fresh = (await clients.runtime.exec({ containerId, cmd: ["echo", "in time"], stdout: true })).url;
    assert.equal((await runChannelSession(fresh)).stdout, "in time\n");
  });

  it("ends an open session when the gateway closes, telling the client why, without hanging", async () => {
    const { url } = await clients.runtime.attach({ containerId, stdout: true });
    const session = runChannelSession(url, { timeoutMs: 10_000 });
    await delay(300);
    clients.close();
    const started = Date.now();
    await gw.close();
    const ended = await session;
    assert.ok(Date.now() - started < 5000, `close took ${Date.now() - started} ms`);
    assert.equal(ended.refusedStatus, undefined);
    assert.equal(ended.status?.status, "Failure");
    assert.equal(ended.status?.message, "the gateway is shutting down");
    assert.equal(ended.closeCode, 1000, "closed normally, not cut off");
  });
});

const openssl = "/usr/bin/openssl";

describe("streaming over TLS", { skip: existsSync(openssl) ? false : "no openssl CLI to make a certificate" }, () => {
  let gw: TestGateway;
  let clients: CriClients;
  let containerId: string;
  let certFile: string;
  let removeCerts: () => Promise<void>;

  before(async () => {
    const temp = await makeTempDir();
    removeCerts = temp.remove;
    certFile = join(temp.dir, "cert.pem");
    const keyFile = join(temp.dir, "key.pem");
    execFileSync(openssl, [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=localhost",
      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ], { stdio: "ignore" });
    gw = await startTestGateway({ tls: { certFile, keyFile } });
    // CRI calls over the (cleartext) unix socket; streaming over TLS.
    clients = createCriClients(gw, { protocol: "connect-json", via: "unix", httpVersion: "1.1" });
    containerId = (await setUp(clients, "tls", 1)).containerIds[0] as string;
  });
  after(async () => {
    clients?.close();
    await gw?.close();
    await removeCerts?.();
  });

  it("serves an exec URL on the https listener over wss", async () => {
    const { url } = await clients.runtime.exec({ containerId, cmd: ["echo", "over tls"], stdout: true });
    assert.ok(url.startsWith(`${gw.url}/stream/exec/`) && url.startsWith("https://"), url);
    const ws = new WebSocket(url, [v5], { ca: readFileSync(certFile), perMessageDeflate: false });
    const frames: Buffer[] = [];
    ws.on("message", (data: Buffer) => frames.push(data));
    const code = await new Promise<number>((resolve, reject) => {
      ws.on("close", (closeCode) => resolve(closeCode));
      ws.on("error", reject);
    });
    assert.equal(code, 1000);
    assert.equal(ws.protocol, v5);
    assert.deepEqual(
      frames.map((f) => [f[0], f.subarray(1).toString()]),
      [
        [1, "over tls\n"],
        [3, JSON.stringify({ metadata: {}, status: "Success" })],
      ],
    );
  });

  it("declines another upgrade offer over TLS and serves the request, then a keep-alive one, over HTTP/1.1", async () => {
    const out = await curl([
      "--cacert", certFile,
      "--http1.1",
      "-H", "Connection: Upgrade",
      "-H", "Upgrade: foo/1",
      "-w", "[%{http_code} %{http_version} %{num_connects}]\n",
      `${gw.url}/healthz`,
      `${gw.url}/healthz`,
    ]);
    const results = [...out.matchAll(/\[(\d{3}) (\S+) (\d+)\]/g)].map((m) => [m[1], m[2], m[3]]);
    assert.deepEqual(results, [
      ["200", "1.1", "1"],
      ["200", "1.1", "0"],
    ], out);
  });
});

describe("streaming through a second gateway's proxy (remote core in front of the memory runtime)", () => {
  let inner: TestGateway;
  let outer: TestGateway;
  let clients: CriClients;
  let containerId: string;

  before(async () => {
    inner = await startTestGateway();
    outer = await startTestGateway({ runtime: "remote", coreSettings: { upstream: `unix://${inner.socketPath}` }, streamTokenTtlMs: 1000 });
    clients = createCriClients(outer, combo);
    containerId = (await setUp(clients, "proxied", 1)).containerIds[0] as string;
  });
  after(async () => {
    clients?.close();
    await outer?.close();
    await inner?.close();
  });

  it("hands out the outer gateway's URL and splices the session to the inner one", async () => {
    const { url } = await clients.runtime.exec({ containerId, cmd: ["cat"], stdin: true, stdout: true });
    assert.ok(url.startsWith(`${outer.url}/stream/exec/`), url);
    const session = await runChannelSession(url, { stdin: ["through ", "two gateways\n"], closeStdin: true });
    assert.equal(session.protocol, v5);
    assert.equal(session.stdout, "through two gateways\n");
    assert.equal(session.status?.status, "Success");
    assert.equal(session.closeCode, 1000);
    const again = await runChannelSession(url);
    assert.equal(again.refusedStatus, 404, "the outer token is single use");
  });

  it("relays the inner runtime's refusal of a SPDY offer, which then used up the outer token", async () => {
    const { url } = await clients.runtime.exec({ containerId, cmd: ["echo", "x"], stdout: true });
    const { port } = new URL(outer.url);
    const answer = await rawExchange(
      { port: Number(port) },
      `POST ${new URL(url).pathname} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n` +
        "X-Stream-Protocol-Version: v2.channel.k8s.io\r\nContent-Length: 0\r\n\r\n",
    );
    assert.equal(answer.status, 400, answer.head);
    assert.match(answer.body, /v4\.channel\.k8s\.io/);
    // The proxy takes its token before it knows the runtime's answer (as the
    // kubelet's streaming server takes its own), so a retry needs a new Exec.
    assert.equal((await runChannelSession(url)).refusedStatus, 404);
  });

  it("refuses an outer token after streamTokenTtlMs", async () => {
    const { url } = await clients.runtime.portForward({ podSandboxId: (await clients.runtime.listPodSandbox({})).items[0]?.id ?? "", port: [80] });
    await delay(1200);
    const session = await runChannelSession(url);
    assert.equal(session.refusedStatus, 404);
    assert.equal((JSON.parse(session.refusedBody ?? "") as { code: string }).code, "not_found");
  });
});
