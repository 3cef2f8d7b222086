/**
 * The runtime goes away behind a running gateway: the upstream is another
 * cri-gateway (memory runtime, which implements GetContainerEvents itself)
 * started through the CLI as a child process on a unix socket in a temp dir,
 * and SIGKILLed by pid. The front gateway (startGateway, remote core) must
 * end forwarded event streams with `unavailable`, fail calls at once with
 * `unavailable` naming the endpoint, report not ready, keep serving, and
 * recover by itself when the upstream is started again on the same socket.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, type Client, ConnectError, createClient } from "@connectrpc/connect";
import { ContainerEventType, RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import { type CliServer, startCliServer } from "../helpers/cli-process.js";
import { type ClientCombo, createTransport } from "../helpers/cri-clients.js";
import { makeTempDir, startTestGateway, type TestGateway } from "../helpers/start-gateway.js";
import { waitFor } from "../helpers/wait-for.js";

/** A call failing while the upstream is down must come back faster than this. */
const fastFailMs = 200;
/** A forwarded stream must end this soon after the upstream dies. */
const streamEndMs = 1000;
/** Calls must succeed again this soon after the upstream serves again. */
const recoverWithinMs = 2000;
const callDeadlineMs = 3000;

const combos = {
  grpc: { protocol: "grpc", via: "tcp", httpVersion: "2" },
  connect: { protocol: "connect-json", via: "tcp", httpVersion: "1.1" },
} as const satisfies Record<string, ClientCombo>;
type Via = keyof typeof combos;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** How a stream ended: at (ms, performance clock), with the events it saw. */
interface StreamEnd {
  readonly at: number;
  readonly events: number;
  readonly code?: Code;
  readonly message?: string;
}

describe("remote core when the upstream process dies and comes back", () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let socket: string;
  let endpoint: string;
  let upstream: CliServer | undefined;
  let gateway: TestGateway;
  const closers: (() => void)[] = [];
  const startUpstream = () => startCliServer(["--listen", "127.0.0.1:0", "--socket", socket]);
  let clients: Record<Via, Client<typeof RuntimeService>>;

  before(async () => {
    temp = await makeTempDir();
    socket = join(temp.dir, "up.sock");
    endpoint = `unix://${socket}`;
    upstream = await startUpstream();
    gateway = await startTestGateway({ runtime: "remote", coreSettings: { upstream: endpoint } });
    const clientOf = (via: Via) => {
      const { transport, close } = createTransport({ url: gateway.url, socketPath: gateway.socketPath }, combos[via]);
      closers.push(close);
      return createClient(RuntimeService, transport);
    };
    clients = { grpc: clientOf("grpc"), connect: clientOf("connect") };
  });
  after(async () => {
    for (const close of closers) close();
    await gateway?.close();
    upstream?.kill();
    await temp?.remove();
  });

  /** Open GetContainerEvents through the front gateway; resolves when it ends. */
  const subscribe = (via: Via, signal: AbortSignal, seen: string[]): Promise<StreamEnd> =>
    (async () => {
      let events = 0;
      try {
        for await (const event of clients[via].getContainerEvents({}, { signal })) {
          events++;
          seen.push(`${ContainerEventType[event.containerEventType]} ${event.containerId}`);
        }
        return { at: performance.now(), events };
      } catch (err) {
        const e = ConnectError.from(err);
        return { at: performance.now(), events, code: e.code, message: e.rawMessage };
      }
    })();

  /** Run a sandbox through the front gateway; returns its id. */
  const runPod = async (name: string) => {
    const { podSandboxId } = await clients.grpc.runPodSandbox(
      { config: { metadata: { name, namespace: "loss", uid: `uid-${name}`, attempt: 0 } } },
      { timeoutMs: callDeadlineMs },
    );
    return podSandboxId;
  };

  const readyz = async () => {
    const started = performance.now();
    const res = await fetch(`${gateway.url}/readyz`, { signal: AbortSignal.timeout(callDeadlineMs) });
    const body = (await res.json()) as { status: string; message?: string };
    return { status: res.status, body, ms: performance.now() - started };
  };

  it("ends forwarded streams with unavailable, fails calls fast, reports not ready, and recovers on restart", async (t) => {
    assert.ok(upstream !== undefined);
    // Before the fault: both protocols work and the gateway is ready.
    for (const client of Object.values(clients)) {
      assert.equal((await client.version({}, { timeoutMs: callDeadlineMs })).runtimeName, "cri-gateway-memory");
    }
    assert.equal((await readyz()).status, 200);

    // Forwarded event streams over gRPC and Connect, proven live by an event each.
    const streams = new AbortController();
    const seen: Record<Via, string[]> = { grpc: [], connect: [] };
    const ends = { grpc: subscribe("grpc", streams.signal, seen.grpc), connect: subscribe("connect", streams.signal, seen.connect) };
    let podBefore = "";
    try {
      await waitFor(
        "both event streams to see a new sandbox",
        async () => {
          podBefore = await runPod(`before-${podBefore.length}-${Date.now()}`);
          await sleep(50);
          return seen.grpc.some((e) => e.endsWith(podBefore)) && seen.connect.some((e) => e.endsWith(podBefore));
        },
        { timeoutMs: 5000, intervalMs: 100 },
      );

      // The fault: SIGKILL the upstream (by pid).
      const killedAt = performance.now();
      upstream.kill();
      const [grpcEnd, connectEnd] = await Promise.race([
        Promise.all([ends.grpc, ends.connect]),
        sleep(5000).then(() => assert.fail("an event stream was still open 5 s after the upstream died")),
      ]);
      for (const [via, end] of [["grpc", grpcEnd], ["connect", connectEnd]] as const) {
        t.diagnostic(`${via} stream ended ${(end.at - killedAt).toFixed(0)} ms after the kill: ${end.code === undefined ? "no error" : Code[end.code]}: ${end.message}`);
        assert.equal(end.code, Code.Unavailable, `${via} stream ended with ${end.code === undefined ? "no error" : Code[end.code]}: ${end.message}`);
        assert.match(end.message ?? "", new RegExp(`^runtime endpoint ${escape(endpoint)} is unavailable: `));
        assert.ok(end.at - killedAt < streamEndMs, `${via} stream ended ${(end.at - killedAt).toFixed(0)} ms after the kill`);
      }
    } finally {
      streams.abort();
    }

    // While down: readiness says so at once (the first probe may meet the dying
    // process's socket and see a reset, the later ones a refusal), naming the endpoint; the gateway itself serves.
    const down = await waitFor("/readyz to report 503", async () => {
      const r = await readyz();
      return r.status === 503 ? r : undefined;
    }, { timeoutMs: 2000, intervalMs: 20 });
    assert.equal(down.body.status, "not ready");
    assert.match(down.body.message ?? "", new RegExp(`^runtime endpoint ${escape(endpoint)} is not ready: (ECONNREFUSED|ECONNRESET)$`));
    assert.ok(down.ms < fastFailMs, `/readyz took ${down.ms.toFixed(0)} ms while down`);
    assert.equal((await fetch(`${gateway.url}/healthz`)).status, 200);

    // Every call fails at once with unavailable naming the endpoint and the redial; none waits.
    const downMessage = new RegExp(
      `^runtime endpoint ${escape(endpoint)} is unavailable: (connect ECONNREFUSED|(\\w+ )?ECONNRESET) \\(reconnecting, (next attempt in \\d+ ms|attempt in progress)\\)$`,
    );
    const failures: { via: Via; method: string; ms: number; code: Code; message: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const via: Via = i % 2 === 0 ? "grpc" : "connect";
      const calls: [string, () => Promise<unknown>][] = [
        ["Version", () => clients[via].version({}, { timeoutMs: callDeadlineMs })],
        ["ListContainers", () => clients[via].listContainers({}, { timeoutMs: callDeadlineMs })],
        ["StreamContainers", async () => {
          for await (const _ of clients[via].streamContainers({}, { timeoutMs: callDeadlineMs })) {
            // nothing may arrive from a dead upstream
          }
        }],
      ];
      const [method, call] = calls[i % calls.length] as [string, () => Promise<unknown>];
      const started = performance.now();
      await assert.rejects(call(), (err: unknown) => {
        const e = ConnectError.from(err);
        failures.push({ via, method, ms: performance.now() - started, code: e.code, message: e.rawMessage });
        return true;
      });
      await sleep(15);
    }
    t.diagnostic(`while down: ${failures.length} calls, slowest ${Math.max(...failures.map((f) => f.ms)).toFixed(0)} ms; e.g. ${failures[0]?.message}`);
    for (const f of failures) {
      assert.equal(f.code, Code.Unavailable, JSON.stringify(f));
      assert.match(f.message, downMessage, JSON.stringify(f));
      assert.ok(f.ms < fastFailMs, `a failing call took ${f.ms.toFixed(0)} ms: ${JSON.stringify(f)}`);
    }
    assert.ok(failures.some((f) => f.via === "connect" && f.method === "StreamContainers"));

    // Still down after a second: the redial keeps failing while nothing listens.
    await sleep(600);
    assert.equal((await readyz()).status, 503);

    // The upstream is back on the same socket: calls succeed again without restarting the front gateway.
    upstream = await startUpstream();
    const servingAt = performance.now();
    const recovered: Record<Via, number> = { grpc: 0, connect: 0 };
    for (const via of ["grpc", "connect"] as const) {
      await waitFor(
        `${via} calls to succeed again`,
        () =>
          clients[via]
            .version({}, { timeoutMs: callDeadlineMs })
            .then((v) => v.runtimeName === "cri-gateway-memory")
            .catch((err: unknown) => {
              assert.equal(ConnectError.from(err).code, Code.Unavailable, String(err));
              return false;
            }),
        { timeoutMs: recoverWithinMs + 1000, intervalMs: 20 },
      );
      recovered[via] = performance.now() - servingAt;
    }
    t.diagnostic(`recovered ${recovered.grpc.toFixed(0)} ms (gRPC) and ${recovered.connect.toFixed(0)} ms (Connect) after the upstream served again`);
    assert.ok(recovered.grpc < recoverWithinMs && recovered.connect < recoverWithinMs, JSON.stringify(recovered));
    const ready = await readyz();
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.equal(ready.body.status, "ready");

    // Clients can resubscribe: a new stream sees a new sandbox (the restarted upstream starts empty).
    const again = new AbortController();
    const seenAgain: string[] = [];
    const endAgain = subscribe("connect", again.signal, seenAgain);
    try {
      let pod = "";
      await waitFor(
        "a resubscribed stream to see a new sandbox",
        async () => {
          pod = await runPod(`after-${Date.now()}`);
          await sleep(50);
          return seenAgain.some((e) => e === `CONTAINER_STARTED_EVENT ${pod}`);
        },
        { timeoutMs: 5000, intervalMs: 100 },
      );
      const { items } = await clients.connect.listPodSandbox({}, { timeoutMs: callDeadlineMs });
      assert.ok(!items.some((p) => p.id === podBefore), "the restarted upstream still has the sandbox from before the kill");
    } finally {
      again.abort();
    }
    assert.equal((await endAgain).code, Code.Canceled);
  });

  it("reports not ready and fails every call fast when the upstream never existed", async () => {
    const nowhere = `unix://${join(temp.dir, "nobody.sock")}`;
    const front = await startTestGateway({ runtime: "remote", coreSettings: { upstream: nowhere, "reconnect-max-ms": "300" } });
    const { transport, close } = createTransport({ url: front.url, socketPath: front.socketPath }, combos.connect);
    try {
      const client = createClient(RuntimeService, transport);
      const res = await fetch(`${front.url}/readyz`);
      assert.equal(res.status, 503);
      assert.match(((await res.json()) as { message: string }).message, new RegExp(`^runtime endpoint ${escape(nowhere)} is not ready: ENOENT$`));
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await assert.rejects(client.version({}, { timeoutMs: callDeadlineMs }), (err: unknown) => {
          const e = ConnectError.from(err);
          assert.equal(e.code, Code.Unavailable);
          assert.match(e.rawMessage, new RegExp(`^runtime endpoint ${escape(nowhere)} is unavailable: connect ENOENT \\(reconnecting, `));
          return true;
        });
        assert.ok(performance.now() - started < fastFailMs);
      }
    } finally {
      close();
      await front.close();
    }
  });
});
