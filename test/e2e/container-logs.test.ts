/**
 * ReadLogs end to end: the memory runtime writes its containers' CRI log
 * files, the gateway's LogService reads them, over every protocol and both
 * listeners; following ends when the container stops; unsafe log paths are
 * refused with failed_precondition, unknown containers with not_found.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { LogService, LogStream } from "../../gen/crigateway/v1/logs_pb.js";
import type { CoreCall, CoreInterceptor } from "../../src/core/intercept.js";
import { type ClientCombo, comboName, createCriClients, createTransport, storyCombos } from "../helpers/cri-clients.js";
import { type TestGateway, startTestGateway } from "../helpers/start-gateway.js";

const seenByInterceptor: string[] = [];
const recorder: CoreInterceptor = {
  stream(call: CoreCall, next) {
    seenByInterceptor.push(`${call.service.typeName}/${call.method.name}`);
    return next(call);
  },
};

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway({ interceptors: [recorder] });
});
after(async () => {
  await gw.close();
});

const combos: readonly ClientCombo[] = storyCombos;

async function runContainer(name: string, command: string[], logPath = `${name}/0.log`) {
  const clients = createCriClients(gw, { protocol: "grpc", via: "tcp", httpVersion: "2" });
  const logDirectory = join(gw.dir, `pod-${name}`);
  const { podSandboxId } = await clients.runtime.runPodSandbox({
    config: { metadata: { name, namespace: "logs", uid: name }, logDirectory },
  });
  const { containerId } = await clients.runtime.createContainer({
    podSandboxId,
    config: { metadata: { name }, image: { image: "registry.k8s.io/pause:3.10" }, command, logPath },
  });
  await clients.runtime.startContainer({ containerId });
  return {
    containerId,
    path: join(logDirectory, logPath),
    stop: async () => {
      await clients.runtime.stopContainer({ containerId });
      clients.close();
    },
  };
}

function logClient(combo: ClientCombo) {
  const { transport, close } = createTransport(gw, combo);
  return { logs: createClient(LogService, transport), close };
}

async function expectCode(promise: Promise<unknown>, code: Code, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ConnectError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.rawMessage, message);
    return true;
  });
}

async function collect(iterable: AsyncIterable<{ entries: { content: { case?: string; value?: unknown } }[] }>): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of iterable) for (const e of batch.entries) out.push(String(e.content.value));
  return out;
}

describe("ReadLogs over every protocol", () => {
  for (const combo of combos) {
    it(`returns a running container's lines, then follows it until it stops (${comboName(combo)})`, async () => {
      const safe = combo.protocol.replace(/\W/g, "") + combo.via + combo.httpVersion.replace(".", "");
      const c = await runContainer(safe, ["sh", "-c", "echo hello; while true; do echo tick; sleep 0.1; done"]);
      const { logs, close } = logClient(combo);
      try {
        await delay(250);
        const now = await collect(logs.readLogs({ containerId: c.containerId }));
        assert.equal(now[0], "hello");
        assert.ok(now.length >= 2 && now.slice(1).every((t) => t === "tick"), now.join(","));
        const tail = await collect(logs.readLogs({ containerId: c.containerId, tailLines: 1n }));
        assert.deepEqual(tail, ["tick"]);
        const stamped = [];
        for await (const batch of logs.readLogs({ containerId: c.containerId, limitBytes: 3n, stream: LogStream.STDOUT })) {
          stamped.push(...batch.entries);
        }
        assert.equal(stamped.length, 1);
        assert.equal(stamped[0]?.content.value, "hel");
        assert.equal(stamped[0]?.partial, true);
        assert.match(stamped[0]?.time ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);

        const followed: string[] = [];
        const following = (async () => {
          for await (const batch of logs.readLogs({ containerId: c.containerId, follow: true })) {
            for (const e of batch.entries) followed.push(String(e.content.value));
          }
        })();
        const start = Date.now();
        while (followed.length < now.length + 2 && Date.now() - start < 5000) await delay(20);
        assert.ok(followed.length >= now.length + 2, "new lines arrive while following");
        await c.stop();
        await following; // the stream ends by itself once the container stopped
        assert.deepEqual(followed.slice(0, now.length), now);
      } finally {
        close();
      }
    });
  }

  it("passes the gateway's interceptors", () => {
    assert.ok(seenByInterceptor.includes("crigateway.v1.LogService/ReadLogs"));
  });
});

describe("ReadLogs refusals", () => {
  const combo: ClientCombo = { protocol: "connect-json", via: "tcp", httpVersion: "1.1" };

  it("an unknown container is not_found", async () => {
    const { logs, close } = logClient(combo);
    await expectCode(collect(logs.readLogs({ containerId: "f00ba4f00ba4" })), Code.NotFound, /container "f00ba4f00ba4" not found/);
    close();
  });

  it("a log path outside the pod's log directory is failed_precondition, naming no path", async () => {
    const c = await runContainer("trav", ["echo", "hi"], "../../../etc/passwd");
    const { logs, close } = logClient(combo);
    await expectCode(collect(logs.readLogs({ containerId: c.containerId })), Code.FailedPrecondition, /^log path of container "[0-9a-f]+" is outside its pod's log directory$/);
    close();
    await c.stop();
  });

  it("a log file replaced by a symbolic link is failed_precondition", async () => {
    const c = await runContainer("link", ["echo", "hi"]);
    const secret = join(gw.dir, "secret.txt");
    writeFileSync(secret, "2024-01-01T00:00:00Z stdout F secret\n");
    rmSync(c.path);
    symlinkSync(secret, c.path);
    const { logs, close } = logClient(combo);
    await expectCode(collect(logs.readLogs({ containerId: c.containerId })), Code.FailedPrecondition, /symbolic link/);
    close();
    await c.stop();
  });

  it("bad options are invalid_argument", async () => {
    const c = await runContainer("opts", ["echo", "hi"]);
    const { logs, close } = logClient(combo);
    await expectCode(collect(logs.readLogs({ containerId: c.containerId, sinceTime: "soon" })), Code.InvalidArgument, /since_time/);
    await expectCode(collect(logs.readLogs({ containerId: c.containerId, tailLines: 1n, stream: LogStream.STDERR })), Code.InvalidArgument, /stream ALL/);
    close();
    await c.stop();
  });
});

describe("GET /v1/containers/{id}/logs", () => {
  // Async: the gateway runs in this process, so a blocking curl would hang it.
  const run = promisify(execFile);
  const curl = (args: string[]) => run("curl", ["-s", ...args], { encoding: "utf8", timeout: 20_000 });

  it("curl -N with follow=true prints a running container's lines as they are written, and ends when it stops", async () => {
    const c = await runContainer("curlfollow", ["sh", "-c", "echo HELLO; while true; do echo tick; sleep 0.1; done"]);
    const child = spawn("curl", ["-sN", `${gw.url}/v1/containers/${c.containerId.slice(0, 12)}/logs?follow=true`]);
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const start = Date.now();
    while (out.split("\n").length < 5 && Date.now() - start < 5000) await delay(20);
    const early = out;
    assert.ok(early.startsWith("HELLO\ntick\n"), early);
    while (out.length === early.length && Date.now() - start < 5000) await delay(20);
    assert.ok(out.length > early.length, "more lines arrive while curl waits");
    await c.stop();
    assert.equal(await exited, 0, "curl ends cleanly once the container stopped");
  });

  it("renders timestamps, JSON lines and Server-Sent Events", async () => {
    const c = await runContainer("formats", ["sh", "-c", "echo one; echo two"]);
    await delay(100);
    const base = `${gw.url}/v1/containers/${c.containerId}/logs`;
    const text = await curl([`${base}?timestamps=true`]);
    assert.match(text.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one\n\S+ two\n$/);
    const json = (await curl(["-H", "Accept: application/x-ndjson", base])).stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(json.map((e) => [e.text, e.stream]), [["one", "LOG_STREAM_STDOUT"], ["two", "LOG_STREAM_STDOUT"]]);
    assert.deepEqual((await curl([`${base}?format=json&tailLines=1`])).stdout.trim().split("\n").map((l) => JSON.parse(l).text), ["two"]);
    const sse = (await curl(["-H", "Accept: text/event-stream", base])).stdout;
    assert.match(sse, /event: log\ndata: \{"time":"[^"]+","stream":"LOG_STREAM_STDOUT","text":"one"\}\n\n/);
    assert.equal((await curl([`${base}?limitBytes=5`])).stdout, "one\nt");
    await c.stop();
  });

  it("bad parameters are 400 with the REST error body; unknown ids 404", async () => {
    const c = await runContainer("restbad", ["echo", "hi"]);
    const base = `${gw.url}/v1/containers/${c.containerId}/logs`;
    const status = async (url: string) => {
      const r = await curl(["-w", "\n%{http_code}", url]);
      const [body, code] = r.stdout.split(/\n(?=\d{3}$)/);
      return { code: Number(code), body: JSON.parse(body ?? "{}") };
    };
    assert.deepEqual(await status(`${base}?tailLines=-1`), {
      code: 400,
      body: { code: "invalid_argument", message: 'query parameter "tailLines" must be a whole number of at least 0, got "-1"' },
    });
    assert.equal((await status(`${base}?stream=both`)).code, 400);
    assert.equal((await status(`${base}?format=xml`)).code, 400);
    assert.equal((await status(`${base}?tail=1`)).body.message, 'unknown query parameter "tail"; expected follow, tailLines, sinceTime, sinceSeconds, timestamps, limitBytes, stream, format');
    assert.equal((await status(`${base}?sinceTime=later`)).code, 400);
    assert.deepEqual(await status(`${gw.url}/v1/containers/nope/logs`), { code: 404, body: { code: "not_found", message: 'container "nope" not found' } });
    await c.stop();
  });
});
