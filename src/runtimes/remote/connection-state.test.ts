import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { CoreError } from "../../core/core-error.js";
import { type ConnectionState, type ConnectionStateOptions, createConnectionState } from "./connection-state.js";

const endpoint = "unix:///run/x.sock";
const refused = () => Object.assign(new Error("connect ECONNREFUSED /run/x.sock"), { code: "ECONNREFUSED", syscall: "connect" });
const missing = () => Object.assign(new Error("connect ENOENT /run/x.sock"), { code: "ENOENT", syscall: "connect" });

/** A state over a scripted probe: each probe takes the next outcome (true: reachable), and false once the script runs out. */
function scripted(outcomes: boolean[], options: Partial<ConnectionStateOptions> = {}) {
  const probes: number[] = [];
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const started = Date.now();
  const state = createConnectionState({
    endpoint,
    initialMs: 20,
    maxMs: 40,
    random: () => 0.5,
    probe: async () => {
      probes.push(Date.now() - started);
      if (!(outcomes.shift() ?? false)) throw missing();
    },
    logger: {
      info: (msg, fields) => lines.push({ level: "info", msg, fields }),
      warn: (msg, fields) => lines.push({ level: "warn", msg, fields }),
    },
    ...options,
  });
  return { state, probes, lines };
}

/** The error requireUp throws, or undefined when it lets the call through. */
function refusal(state: ConnectionState): CoreError | undefined {
  try {
    state.requireUp();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof CoreError, String(err));
    return err;
  }
}

/** Wait (bounded) until `check` holds. */
async function until(check: () => boolean, withinMs = 2000): Promise<void> {
  const end = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > end) assert.fail(`condition not met within ${withinMs} ms`);
    await sleep(5);
  }
}

describe("createConnectionState", () => {
  const states: ConnectionState[] = [];
  const track = (s: ReturnType<typeof scripted>) => {
    states.push(s.state);
    return s;
  };
  after(() => {
    for (const s of states) s.close();
  });

  it("probes nothing and lets calls through before any failure", async () => {
    const { state, probes } = track(scripted([]));
    await sleep(60);
    assert.equal(refusal(state), undefined);
    assert.equal(state.health(), undefined);
    assert.deepEqual(probes, []);
  });

  it("after a refused dial fails calls at once with unavailable naming the endpoint and the next attempt", () => {
    const { state } = track(scripted([]));
    const mapped = state.failed(refused(), false);
    assert.ok(mapped instanceof CoreError && mapped.kind === "unavailable", String(mapped));
    assert.equal(mapped.message, `runtime endpoint ${endpoint} is unavailable: connect ECONNREFUSED`);
    const err = refusal(state);
    assert.equal(err?.kind, "unavailable");
    assert.match(err?.message ?? "", /^runtime endpoint unix:\/\/\/run\/x\.sock is unavailable: connect ECONNREFUSED \(reconnecting, next attempt in (1\d|20) ms\)$/);
    assert.deepEqual(state.health(), { ready: false, message: `runtime endpoint ${endpoint} is not ready: ECONNREFUSED` });
  });

  it("redials with backoff until a probe succeeds, then lets calls through and stops probing", async () => {
    const { state, probes, lines } = track(scripted([false, false, false, true]));
    state.failed(refused(), false);
    await until(() => refusal(state) === undefined);
    assert.equal(probes.length, 4);
    // Delays 20, 32, 40 (capped), 40 ms: each gap at least the scheduled delay.
    const gaps = probes.map((at, i) => at - (i === 0 ? 0 : (probes[i - 1] as number)));
    for (const [i, min] of [20, 32, 40, 40].entries()) {
      assert.ok((gaps[i] as number) >= min - 2, `gap ${i} was ${gaps[i]} ms, want >= ${min}: ${gaps}`);
    }
    assert.equal(state.health(), undefined);
    await sleep(120);
    assert.equal(probes.length, 4, "probed again while up");
    assert.deepEqual(
      lines.map((l) => [l.level, l.fields]),
      [
        ["warn", { endpoint, code: "ECONNREFUSED" }],
        ["info", { endpoint, attempts: 4 }],
      ],
    );
  });

  it("reports the latest probe error while down", async () => {
    const { state, probes } = track(scripted([], { initialMs: 5, maxMs: 500 }));
    state.failed(refused(), false);
    await until(() => probes.length === 1 && !/in progress/.test(refusal(state)?.message ?? "in progress"));
    assert.match(refusal(state)?.message ?? "", /is unavailable: connect ENOENT \(reconnecting, next attempt in \d+ ms\)$/);
    assert.deepEqual(state.health(), { ready: false, message: `runtime endpoint ${endpoint} is not ready: ENOENT` });
  });

  it("starts the backoff over after the endpoint was up again", async () => {
    const { state, probes } = track(scripted([false, false, true, true]));
    state.failed(refused(), false);
    await until(() => refusal(state) === undefined);
    const firstRun = probes.length;
    const downAgain = Date.now();
    state.failed(refused(), false);
    await until(() => probes.length > firstRun);
    const delay = Date.now() - downAgain;
    assert.ok(delay < 32, `first redial after ${delay} ms: the backoff was not reset`);
  });

  it("probes at once after a broken connection without failing calls, and goes down when the probe fails", async () => {
    const { state, probes } = track(scripted([false]));
    const cut = new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled);
    const mapped = state.failed(cut, false);
    assert.ok(mapped instanceof CoreError && mapped.kind === "unavailable", String(mapped));
    assert.match(mapped.message, /is unavailable: the call was cut off/);
    assert.equal(refusal(state), undefined, "a broken connection alone must not fail calls");
    await until(() => probes.length === 1 && refusal(state) !== undefined);
    assert.equal(probes[0] !== undefined && probes[0] < 15, true, `probe started after ${probes[0]} ms`);
    assert.match(refusal(state)?.message ?? "", /is unavailable: connect ENOENT \(reconnecting, /);
  });

  it("stays up when the probe after a broken connection succeeds", async () => {
    const { state, probes, lines } = track(scripted([true]));
    state.failed(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET", syscall: "read" }), false);
    await until(() => probes.length === 1);
    await sleep(20);
    assert.equal(refusal(state), undefined);
    assert.deepEqual(lines, []);
  });

  const unchanged: { desc: string; err: unknown; clientCanceled: boolean }[] = [
    { desc: "an upstream not_found", err: new ConnectError('container "x" not found', Code.NotFound), clientCanceled: false },
    { desc: "a deadline", err: new ConnectError("timed out", Code.DeadlineExceeded), clientCanceled: false },
    { desc: "a cancel the client asked for", err: new ConnectError("aborted", Code.Canceled), clientCanceled: true },
  ];
  for (const row of unchanged) {
    it(`passes ${row.desc} through and stays up`, async () => {
      const { state, probes } = track(scripted([]));
      assert.equal(state.failed(row.err, row.clientCanceled), row.err);
      await sleep(40);
      assert.equal(refusal(state), undefined);
      assert.deepEqual(probes, []);
    });
  }

  it("stops redialing on close", async () => {
    const { state, probes } = track(scripted([]));
    state.failed(refused(), false);
    state.close();
    await sleep(80);
    assert.deepEqual(probes, []);
    state.failed(refused(), false);
    await sleep(40);
    assert.deepEqual(probes, []);
  });

  it("aborts a probe in flight on close", async () => {
    let aborted = false;
    const { state } = track(
      scripted([], {
        initialMs: 1,
        probe: (signal) =>
          new Promise<void>((_, reject) =>
            signal.addEventListener("abort", () => {
              aborted = true;
              reject(signal.reason);
            }),
          ),
      }),
    );
    state.failed(refused(), false);
    await until(() => /in progress/.test(refusal(state)?.message ?? ""));
    state.close();
    assert.equal(aborted, true);
  });
});
