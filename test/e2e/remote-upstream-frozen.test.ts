/**
 * An upstream that stops answering without closing its connection (a frozen
 * process here; a vanished host in real life) must not hold calls until
 * their deadline: the relay's connection is PINGed, and when a PING goes
 * unanswered the connection is dropped and its calls fail with
 * `unavailable`. The upstream is a cri-gateway child process, frozen with
 * SIGSTOP and thawed with SIGCONT.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import { type CliServer, startCliServer } from "../helpers/cli-process.js";
import { createTransport } from "../helpers/cri-clients.js";
import { makeTempDir, startTestGateway, type TestGateway } from "../helpers/start-gateway.js";
import { waitFor } from "../helpers/wait-for.js";

describe("remote core when the upstream freezes", () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let upstream: CliServer;
  let gateway: TestGateway;
  let close = () => {};
  let socket: string;

  before(async () => {
    temp = await makeTempDir();
    socket = join(temp.dir, "frozen.sock");
    upstream = await startCliServer(["--listen", "127.0.0.1:0", "--socket", socket]);
    gateway = await startTestGateway({
      runtime: "remote",
      coreSettings: { upstream: `unix://${socket}`, "keepalive-ms": "200", "keepalive-timeout-ms": "300" },
    });
  });
  after(async () => {
    close();
    if (upstream?.child.pid !== undefined) {
      try {
        process.kill(upstream.child.pid, "SIGCONT");
      } catch {}
    }
    upstream?.kill();
    await gateway?.close();
    await temp?.remove();
  });

  it("fails a call in flight with unavailable once a PING goes unanswered, then recovers", async () => {
    const made = createTransport({ url: gateway.url, socketPath: gateway.socketPath }, { protocol: "grpc", via: "tcp", httpVersion: "2" });
    close = made.close;
    const client = createClient(RuntimeService, made.transport);
    assert.equal((await client.version({ version: "v1" })).runtimeName, "cri-gateway-memory");

    const pid = upstream.child.pid as number;
    process.kill(pid, "SIGSTOP");
    try {
      const started = Date.now();
      const err = await client.version({ version: "v1" }, { timeoutMs: 20_000 }).then(
        () => assert.fail("a frozen upstream answered"),
        (e: unknown) => ConnectError.from(e),
      );
      const took = Date.now() - started;
      assert.equal(err.code, Code.Unavailable, err.message);
      assert.match(err.rawMessage, new RegExp(`runtime endpoint unix://${socket} is unavailable`));
      assert.ok(took < 3000, `failed after ${took} ms, not at the 20 s deadline`);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await waitFor(
      "calls to succeed again after the upstream thaws",
      () => client.version({ version: "v1" }, { timeoutMs: 1000 }).then(() => true, () => false),
      { timeoutMs: 5000 },
    );
  });
});
