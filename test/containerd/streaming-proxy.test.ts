/**
 * Issue 4, "Done when": exec through the gateway's streaming proxy from a
 * WebSocket client prints the real container's output, and an expired or
 * reused stream token is refused. A real containerd (1.6, from the harness)
 * runs a busybox container; the gateway's remote core sits in front of it.
 * Exec's URL points at containerd's own streaming server on loopback; the
 * gateway must hand out its own single-use URL instead and splice the
 * upgraded connection to containerd's, both directions — for WebSocket
 * clients and for SPDY/3.1 ones (crictl and kubectl speak SPDY by default),
 * here a client built on Debian's spdystream that opens its streams the way
 * client-go's v4 executor does (test/interop/go-spdy).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { ImageService, NamespaceMode, RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import { runChannelSession } from "../helpers/channel-client.js";
import { buildSpdyClient, spdyClientFailed, spdyClientSkipReason } from "../helpers/go-spdy-client.js";
import { describeResult, runCommand } from "../interop/run-command.js";
import { createTransport } from "../helpers/cri-clients.js";
import { startTestGateway, type TestGateway } from "../helpers/start-gateway.js";
import { busyboxImage, type Containerd, containerdSkipReason, pauseImage, startContainerd } from "./containerd-harness.js";

const skipReason = containerdSkipReason();
const spdySkipReason = skipReason ?? spdyClientSkipReason();
const callOptions = { timeoutMs: 30_000 };
const shortTtlMs = 300;
const transports: { close(): void }[] = [];

/** A Connect JSON transport to `gw` over HTTP/1.1 on TCP, closed after the suite. */
function connectJson(gw: TestGateway) {
  const made = createTransport({ url: gw.url, socketPath: gw.socketPath }, { protocol: "connect-json", via: "tcp", httpVersion: "1.1" });
  transports.push(made);
  return made.transport;
}

describe("streaming proxy in front of containerd", { skip: skipReason, timeout: 180_000 }, () => {
  let containerd: Containerd;
  let gateway: TestGateway;
  let shortLived: TestGateway;
  let runtime: Client<typeof RuntimeService>;
  let containerId = "";
  let podSandboxId = "";

  before(async () => {
    containerd = await startContainerd();
    const coreSettings = { upstream: containerd.endpoint };
    gateway = await startTestGateway({ runtime: "remote", coreSettings });
    shortLived = await startTestGateway({ runtime: "remote", coreSettings, streamTokenTtlMs: shortTtlMs });
    const transport = connectJson(gateway);
    runtime = createClient(RuntimeService, transport);
    const image = createClient(ImageService, transport);
    for (const ref of [busyboxImage, pauseImage]) await image.pullImage({ image: { image: ref } }, callOptions);
    const config = {
      metadata: { name: "streaming", namespace: "streaming-test", uid: "streaming-uid", attempt: 0 },
      hostname: "",
      linux: { cgroupParent: containerd.cgroupParent, securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } },
    };
    podSandboxId = (await runtime.runPodSandbox({ config }, callOptions)).podSandboxId;
    containerId = (
      await runtime.createContainer(
        {
          podSandboxId,
          config: {
            metadata: { name: "shell", attempt: 0 },
            image: { image: busyboxImage },
            command: ["sh", "-c", "while :; do sleep 1; done"],
            linux: {},
          },
          sandboxConfig: config,
        },
        callOptions,
      )
    ).containerId;
    await runtime.startContainer({ containerId }, callOptions);
  });

  after(async () => {
    if (podSandboxId !== "") {
      await runtime.stopPodSandbox({ podSandboxId }, callOptions).catch(() => {});
      await runtime.removePodSandbox({ podSandboxId }, callOptions).catch(() => {});
    }
    for (const t of transports) t.close();
    await shortLived?.close();
    await gateway?.close();
    await containerd?.stop();
  });

  const exec = async (cmd: string[], extra: { stdin?: boolean; tty?: boolean } = {}, on: TestGateway = gateway) => {
    const client = on === gateway ? runtime : createClient(RuntimeService, connectJson(on));
    const { url } = await client.exec(
      { containerId, cmd, stdout: true, stderr: extra.tty !== true, stdin: extra.stdin ?? false, tty: extra.tty ?? false },
      callOptions,
    );
    return url;
  };

  it("rewrites containerd's streaming URL to a single-use URL on the gateway", async () => {
    const url = await exec(["echo", "hi"]);
    assert.match(url, new RegExp(`^${gateway.url}/stream/exec/[A-Za-z0-9_-]{22}$`));
  });

  it("prints the real container's output over WebSocket", async () => {
    const session = await runChannelSession(await exec(["sh", "-c", "echo hello from $(hostname) && echo to-stderr >&2"]));
    assert.equal(session.refusedStatus, undefined, session.refusedBody);
    // containerd 1.6 vendors a kubelet streaming server that speaks v4 (not v5).
    assert.equal(session.protocol, "v4.channel.k8s.io");
    assert.match(session.stdout, /^hello from \S+\n$/);
    assert.equal(session.stderr, "to-stderr\n");
    assert.equal(session.exitCode, 0);
  });

  it("passes the real exit code in the final status", async () => {
    const session = await runChannelSession(await exec(["sh", "-c", "echo partial; exit 3"]));
    assert.equal(session.stdout, "partial\n");
    assert.equal(session.exitCode, 3);
    assert.equal(session.status?.reason, "NonZeroExitCode");
  });

  it("carries stdin to the container", async () => {
    const session = await runChannelSession(await exec(["sh", "-c", "read line; echo got:$line"], { stdin: true }), {
      stdin: ["over the proxy\n"],
    });
    assert.equal(session.stdout, "got:over the proxy\n");
    assert.equal(session.exitCode, 0);
  });

  it("streams megabytes of output intact (back-pressure through the splice)", async () => {
    const session = await runChannelSession(await exec(["cat", "/bin/busybox"]), { timeoutMs: 60_000 });
    const received = Buffer.concat(session.frames.filter((f) => f.channel === 1).map((f) => f.data));
    const expected = readFileSync("/bin/busybox");
    assert.equal(received.length, expected.length);
    assert.equal(createHash("sha256").update(received).digest("hex"), createHash("sha256").update(expected).digest("hex"));
    assert.equal(session.exitCode, 0);
  });

  it("refuses a reused token with 404", async () => {
    const url = await exec(["echo", "once"]);
    assert.equal((await runChannelSession(url)).stdout, "once\n");
    const again = await runChannelSession(url);
    assert.equal(again.refusedStatus, 404);
    assert.equal(JSON.parse(again.refusedBody ?? "{}").code, "not_found");
  });

  it("refuses an expired token with 404", async () => {
    const url = await exec(["echo", "late"], {}, shortLived);
    await new Promise((resolve) => setTimeout(resolve, shortTtlMs * 2));
    const session = await runChannelSession(url);
    assert.equal(session.refusedStatus, 404);
    assert.match(session.refusedBody ?? "", /unknown, expired or already used/);
  });

  it("proxies a SPDY/3.1 upgrade to containerd, which switches protocols", async () => {
    const url = new URL(await exec(["echo", "spdy"]));
    const head = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n` +
            "X-Stream-Protocol-Version: v4.channel.k8s.io\r\nContent-Length: 0\r\n\r\n",
        );
      });
      let text = "";
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => {
        text += chunk;
        if (text.includes("\r\n\r\n")) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on("error", reject);
      setTimeout(() => reject(new Error(`no answer to the SPDY upgrade; got ${JSON.stringify(text)}`)), 10_000).unref();
    });
    assert.match(head, /^HTTP\/1\.1 101 /);
    assert.match(head, /\r\nupgrade: SPDY\/3\.1\r\n/i);
    assert.match(head, /\r\nx-stream-protocol-version: v4\.channel\.k8s\.io\r\n/i);
  });

  describe("with a SPDY/3.1 client (client-go's v4 exec protocol on Debian's spdystream)", { skip: spdySkipReason }, () => {
    let work: string;
    let spdyExec: string;
    before(async () => {
      work = await mkdtemp(join(tmpdir(), "crigw-spdy-"));
      spdyExec = await buildSpdyClient(work);
    });
    after(async () => {
      if (work !== undefined) await rm(work, { recursive: true, force: true });
    });

    it("prints the real container's output and exit code through the proxy", async () => {
      const url = await exec(["sh", "-c", "echo over spdy; echo to-stderr >&2; exit 7"]);
      const run = await runCommand(spdyExec, [url], { timeoutMs: 30_000 });
      assert.equal(run.stdout, "over spdy\n", describeResult("spdy-exec", run));
      assert.equal(run.stderr, "to-stderr\n");
      assert.equal(run.code, 7);
    });

    it("carries stdin, and its end, to the container", async () => {
      const url = await exec(["sh", "-c", "read a; read b; echo got:$a+$b"], { stdin: true });
      const run = await runCommand(spdyExec, [url, "one\ntwo\n"], { timeoutMs: 30_000 });
      assert.equal(run.stdout, "got:one+two\n", describeResult("spdy-exec", run));
      assert.equal(run.code, 0);
    });

    it("is refused a used token like a WebSocket client", async () => {
      const url = await exec(["true"]);
      assert.equal((await runCommand(spdyExec, [url], { timeoutMs: 30_000 })).code, 0);
      const again = await runCommand(spdyExec, [url], { timeoutMs: 30_000 });
      assert.equal(again.code, spdyClientFailed);
      assert.match(again.stderr, /HTTP 404/);
    });
  });

  it("keeps serving CRI calls after streaming sessions", async () => {
    const version = await runtime.version({ version: "v1" }, callOptions);
    assert.equal(version.runtimeName, "containerd");
  });
});
