/**
 * Issue 4, "Done when": a fault test kills containerd under load, checks
 * every failed call got `unavailable` within its deadline and the gateway
 * stayed up, restarts containerd, and checks calls succeed again within a
 * few seconds.
 *
 * A real containerd (1.6, started by the harness) sits behind an in-process
 * gateway with the remote core. Eight workers call Version and
 * ListContainers through the gateway over gRPC (h2c) and Connect JSON
 * (HTTP/1.1), each call with a 2 s deadline, in a bounded loop on loopback.
 * About 1 s in, containerd is SIGKILLed (only the pid the harness started);
 * about 1 s later it is restarted on the same socket, root and state. Pollers
 * watch /healthz and /readyz throughout, and a GetContainerEvents stream
 * (synthesized by polling for containerd 1.6) is open when containerd dies.
 */
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, type Client, ConnectError, createClient } from "@connectrpc/connect";
import { RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import { createTransport } from "../helpers/cri-clients.js";
import { startTestGateway, type TestGateway } from "../helpers/start-gateway.js";
import { type Containerd, containerdSkipReason, startContainerd } from "./containerd-harness.js";

const skipReason = containerdSkipReason();

const deadlineMs = 2000;
/** How far past its deadline a call may end. */
const slackMs = 500;
const workers = 8;
/** Hard cap on calls per worker, whatever the clock says. */
const maxCallsPerWorker = 20_000;
/** Hard cap on the whole load window. */
const maxWindowMs = 20_000;
const recoverWithinMs = 5000;
const eventsPollMs = 200;

interface Call {
  readonly protocol: "grpc" | "connect-json";
  readonly method: "version" | "listContainers";
  readonly start: number;
  readonly ms: number;
  /** undefined: succeeded. */
  readonly code?: Code;
  readonly message?: string;
}

interface Probe {
  readonly at: number;
  /** HTTP status, or 0 when the request itself failed. */
  readonly status: number;
}

describe("containerd killed under load behind the gateway", { skip: skipReason }, () => {
  let containerd: Containerd;
  let gateway: TestGateway;
  const closers: (() => void)[] = [];
  before(async () => {
    containerd = await startContainerd();
    gateway = await startTestGateway({
      runtime: "remote",
      coreSettings: { upstream: containerd.endpoint, "events-poll-ms": String(eventsPollMs) },
    });
  });
  after(async () => {
    for (const close of closers) close();
    await gateway?.close();
    await containerd?.stop();
  });

  it("fails calls fast with unavailable, stays up, reports not ready, and recovers after the restart", async (t) => {
    const clientOf = (protocol: "grpc" | "connect-json"): Client<typeof RuntimeService> => {
      const { transport, close } = createTransport(
        { url: gateway.url, socketPath: gateway.socketPath },
        protocol === "grpc"
          ? { protocol: "grpc", via: "tcp", httpVersion: "2" }
          : { protocol: "connect-json", via: "tcp", httpVersion: "1.1" },
      );
      closers.push(close);
      return createClient(RuntimeService, transport);
    };
    const clients = { grpc: clientOf("grpc"), "connect-json": clientOf("connect-json") };

    // Warm up: everything works before the fault.
    for (const client of Object.values(clients)) {
      await client.version({ version: "v1" }, { timeoutMs: deadlineMs });
      await client.listContainers({}, { timeoutMs: deadlineMs });
    }
    assert.equal((await fetch(`${gateway.url}/readyz`)).status, 200);

    const t0 = performance.now();
    const now = () => performance.now() - t0;
    let stopped = false;
    const calls: Call[] = [];

    // An open event stream, ended by the fault (or by `events.abort()` at the end).
    const events = new AbortController();
    const eventsEnd = (async (): Promise<{ at: number; code?: Code; message?: string }> => {
      try {
        for await (const _ of clients.grpc.getContainerEvents({}, { signal: events.signal })) {
          // no containers change here; events are not expected
        }
        return { at: now() };
      } catch (err) {
        const e = ConnectError.from(err);
        return { at: now(), code: e.code, message: e.rawMessage };
      }
    })();

    const worker = async (i: number) => {
      const protocol = i % 2 === 0 ? "grpc" : "connect-json";
      const client = clients[protocol];
      for (let n = 0; n < maxCallsPerWorker && !stopped; n++) {
        const method = (n + (i >> 1)) % 2 === 0 ? "version" : "listContainers";
        const start = now();
        try {
          if (method === "version") await client.version({ version: "v1" }, { timeoutMs: deadlineMs });
          else await client.listContainers({}, { timeoutMs: deadlineMs });
          calls.push({ protocol, method, start, ms: now() - start });
        } catch (err) {
          const e = ConnectError.from(err);
          calls.push({ protocol, method, start, ms: now() - start, code: e.code, message: e.rawMessage });
          // A failing upstream fails fast: do not spin the CPU.
          await sleep(5);
        }
      }
    };

    const poll = (path: string, into: Probe[]) =>
      (async () => {
        while (!stopped) {
          const at = now();
          const status = await fetch(`${gateway.url}${path}`, { signal: AbortSignal.timeout(3000) })
            .then(async (res) => {
              await res.arrayBuffer();
              return res.status;
            })
            .catch(() => 0);
          into.push({ at, status });
          await sleep(100);
        }
      })();
    const healthz: Probe[] = [];
    const readyz: Probe[] = [];

    const running = [...Array.from({ length: workers }, (_, i) => worker(i)), poll("/healthz", healthz), poll("/readyz", readyz)];
    const hardStop = setTimeout(() => (stopped = true), maxWindowMs);

    let killedAt = 0;
    let restartedAt = 0;
    let recoveredAt: number | undefined;
    try {
      await sleep(1000);
      killedAt = now();
      await containerd.kill();
      await sleep(1000);
      const restartBegan = now();
      await containerd.restart();
      restartedAt = now();
      t.diagnostic(`containerd killed at ${killedAt.toFixed(0)} ms, restart began ${restartBegan.toFixed(0)} ms, serving at ${restartedAt.toFixed(0)} ms`);
      // Recovered: the first call of each protocol that started after the restart and succeeded.
      while (!stopped && now() - restartedAt < recoverWithinMs + 1000) {
        const ok = (p: Call["protocol"]) => calls.find((c) => c.protocol === p && c.start >= restartedAt && c.code === undefined);
        const g = ok("grpc");
        const j = ok("connect-json");
        if (g !== undefined && j !== undefined) {
          recoveredAt = Math.max(g.start + g.ms, j.start + j.ms);
          break;
        }
        await sleep(50);
      }
      // Keep the load on a little longer: every call of this tail must succeed.
      await sleep(1500);
    } finally {
      stopped = true;
      clearTimeout(hardStop);
      await Promise.all(running);
      events.abort();
    }
    const tailFrom = now() - 1000;
    const end = await eventsEnd;

    // Measurements.
    const failures = calls.filter((c) => c.code !== undefined);
    const byCode = new Map<string, number>();
    for (const f of failures) byCode.set(Code[f.code as Code], (byCode.get(Code[f.code as Code]) ?? 0) + 1);
    const maxMs = Math.max(...calls.map((c) => c.ms));
    const maxFailMs = failures.length === 0 ? 0 : Math.max(...failures.map((c) => c.ms));
    const messages = [...new Set(failures.map((f) => `${Code[f.code as Code]}: ${f.message}`))];
    t.diagnostic(
      `${calls.length} calls, ${failures.length} failed (${[...byCode].map(([k, v]) => `${k} ${v}`).join(", ")}); ` +
        `max call ${maxMs.toFixed(0)} ms, max failed call ${maxFailMs.toFixed(0)} ms; ` +
        `recovered ${recoveredAt === undefined ? "never" : `${(recoveredAt - restartedAt).toFixed(0)} ms after containerd served again`}`,
    );
    t.diagnostic(`failure messages: ${JSON.stringify(messages.slice(0, 6))}`);
    t.diagnostic(`events stream ended at ${end.at.toFixed(0)} ms with ${end.code === undefined ? "no error" : Code[end.code]}: ${end.message ?? ""}`);

    // The load really ran on both sides of the fault, and the fault was felt.
    assert.ok(calls.some((c) => c.start + c.ms < killedAt && c.code === undefined), "no successful calls before the kill");
    assert.ok(failures.length > 0, "no call failed while containerd was down");

    // Nothing failed before containerd died.
    const early = failures.filter((c) => c.start + c.ms < killedAt);
    assert.deepEqual(early, [], "calls failed before containerd was killed");

    // Every failure is unavailable naming the endpoint, or a deadline hit at its deadline.
    // A call in flight when containerd dies (its stream reset, not a socket
    // error) must come back unavailable too, never canceled: the client did
    // not cancel. While containerd boots again its CRI plugin answers
    // `unknown: server is not initialized yet` itself; upstream answers pass
    // through unchanged, so that one is allowed, after the kill only.
    const bootingAnswer = (f: Call) =>
      f.code === Code.Unknown && f.message === "server is not initialized yet" && f.start > killedAt;
    for (const f of failures) {
      if (bootingAnswer(f)) continue;
      if (f.code === Code.DeadlineExceeded) {
        assert.ok(f.ms >= deadlineMs - 100 && f.ms <= deadlineMs + slackMs, `deadline_exceeded after ${f.ms.toFixed(0)} ms: ${JSON.stringify(f)}`);
      } else {
        assert.equal(f.code, Code.Unavailable, `failed with ${Code[f.code as Code]}, not unavailable: ${JSON.stringify(f)}`);
        assert.match(f.message ?? "", new RegExp(`runtime endpoint ${containerd.endpoint.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`), `unavailable without the endpoint: ${JSON.stringify(f)}`);
      }
    }
    // No call hung: every one ended within its deadline (and some slack).
    assert.ok(maxMs <= deadlineMs + slackMs, `a call took ${maxMs.toFixed(0)} ms`);

    // The gateway stayed up: /healthz answered 200 throughout.
    assert.ok(healthz.length >= 20, `only ${healthz.length} /healthz probes`);
    assert.deepEqual(healthz.filter((p) => p.status !== 200), [], "/healthz was not 200 throughout");

    // /readyz: 200 before the kill, 503 while containerd was down, 200 at the end.
    assert.ok(readyz.some((p) => p.at < killedAt && p.status === 200), "/readyz was not 200 before the kill");
    assert.ok(readyz.some((p) => p.at > killedAt && p.at < restartedAt && p.status === 503), "/readyz never reported 503 while containerd was down");
    assert.deepEqual(readyz.filter((p) => p.status !== 200 && p.status !== 503), [], "/readyz answered neither 200 nor 503");
    assert.equal(readyz.at(-1)?.status, 200, "/readyz was not 200 after the restart");
    assert.equal((await fetch(`${gateway.url}/readyz`)).status, 200);

    // Recovery without restarting the gateway: both protocols within 5 s, and the tail all green.
    assert.ok(recoveredAt !== undefined && recoveredAt - restartedAt <= recoverWithinMs, "calls did not succeed again within 5 s of the restart");
    const tail = calls.filter((c) => c.start >= tailFrom);
    assert.ok(tail.length > 0, "no calls in the last second");
    assert.deepEqual(tail.filter((c) => c.code !== undefined), [], "calls still failed a second before the end");
    for (const client of Object.values(clients)) await client.version({ version: "v1" }, { timeoutMs: deadlineMs });

    // The open event stream ended with unavailable soon after containerd died (one poll, at most a deadline).
    assert.equal(end.code, Code.Unavailable, `the event stream ended with ${end.code === undefined ? "no error" : Code[end.code]}: ${end.message}`);
    assert.ok(end.at > killedAt && end.at < killedAt + eventsPollMs + deadlineMs + slackMs, `the event stream ended at ${end.at.toFixed(0)} ms`);
  });
});
