/**
 * `GET /v1/events` (GetContainerEvents as Server-Sent Events) with the real
 * curl binary (`--no-buffer`) over HTTP/1.1 and h2c, on TCP and the unix
 * socket: a container's lifecycle arrives as ordered events with proto JSON
 * data; the subscription is released when the client goes away; heartbeats;
 * the error event on a failing stream and at shutdown; and refusals before
 * the stream starts get a real HTTP status.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  CreateContainerRequestSchema,
  PullImageRequestSchema,
  RemoveContainerRequestSchema,
  RunPodSandboxRequestSchema,
  StartContainerRequestSchema,
  StopContainerRequestSchema,
} from "../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../src/core/call-context.js";
import { CoreError } from "../../src/core/core-error.js";
import type { CoreInterceptor } from "../../src/core/intercept.js";
import type { RuntimeCore } from "../../src/core/runtime-core.js";
import { createHttpApp } from "../../src/http/app.js";
import { createMemoryRuntime } from "../../src/runtimes/memory/index.js";
import { type CurlTarget, curlPath, runCurl } from "../helpers/curl.js";
import { type TestGateway, startTestGateway } from "../helpers/start-gateway.js";
import { waitFor } from "../helpers/wait-for.js";

type Json = Record<string, unknown>;

/** One parsed SSE message. */
interface SseMessage {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

/** Split an event-stream body into messages and comment lines. */
function parseSse(body: string): { messages: SseMessage[]; comments: string[] } {
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  // Only complete blocks (ended by a blank line) count.
  const blocks = body.split("\n\n");
  blocks.pop();
  for (const block of blocks) {
    const fields: Record<string, string> = {};
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) {
        comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(":");
      if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, "");
    }
    if (fields.data !== undefined) messages.push({ id: fields.id, event: fields.event, data: fields.data });
  }
  return { messages, comments };
}

/** A running `curl --no-buffer --include` on an event stream. */
interface SseCurl {
  readonly status: number | undefined;
  readonly headers: Record<string, string>;
  readonly messages: SseMessage[];
  readonly comments: string[];
  /** Resolves with curl's exit code when it ends by itself. */
  readonly exited: Promise<number | null>;
  /** Kill curl (our own child) and wait for it. */
  close(): Promise<void>;
}

function openSse(target: CurlTarget, { path = "/v1/events", headers = {} }: { path?: string; headers?: Record<string, string> } = {}): SseCurl {
  const args = ["--silent", "--show-error", "--no-buffer", "--include", "--max-time", "30"];
  args.push(target.http2 === true ? "--http2-prior-knowledge" : "--http1.1");
  if (target.socketPath !== undefined) args.push("--unix-socket", target.socketPath);
  for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}: ${value}`);
  args.push(`${target.socketPath === undefined ? target.url : "http://localhost"}${path}`);
  const child: ChildProcess = spawn(curlPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    out += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const split = () => {
    const end = out.indexOf("\r\n\r\n");
    return end < 0 ? undefined : { head: out.slice(0, end).split("\r\n"), body: out.slice(end + 4) };
  };
  return {
    get status() {
      const parts = split();
      return parts === undefined ? undefined : Number(/^HTTP\/\S+ (\d{3})/.exec(parts.head[0] ?? "")?.[1]);
    },
    get headers() {
      const result: Record<string, string> = {};
      for (const line of split()?.head.slice(1) ?? []) {
        const colon = line.indexOf(":");
        if (colon > 0) result[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      return result;
    },
    get messages() {
      return parseSse(split()?.body ?? "").messages;
    },
    get comments() {
      return parseSse(split()?.body ?? "").comments;
    },
    exited,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Serve `createHttpApp(options)` on 127.0.0.1:0 over plain HTTP/1.1 or h2c, without the gateway. */
async function serveApp(kind: "http1" | "h2c", options: Parameters<typeof createHttpApp>[0]) {
  const app = createHttpApp(options);
  const server =
    kind === "http1"
      ? http.createServer(app as unknown as http.RequestListener)
      : http2.createServer(app as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: { url: `http://127.0.0.1:${port}`, http2: kind === "h2c" } satisfies CurlTarget,
    close: () =>
      new Promise<void>((resolve) => {
        if (server instanceof http.Server) server.closeAllConnections();
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function newMemoryCore(options: { eventQueueCapacity?: number } = {}): RuntimeCore {
  return createMemoryRuntime({ gatewayUrl: () => "http://localhost", maxMessageBytes: 16 * 1024 * 1024, settings: {}, ...options });
}

const busybox = "docker.io/library/busybox:1.36";
const ctx = createCallContext();

async function runPod(core: RuntimeCore, name: string): Promise<string> {
  const { podSandboxId } = await core.runPodSandbox(
    create(RunPodSandboxRequestSchema, { config: { metadata: { name, uid: `uid-${name}`, namespace: "sse" } } }),
    ctx,
  );
  return podSandboxId;
}

describe("Server-Sent Events at /v1/events", () => {
  let gw: TestGateway;
  let pod = "";
  /** Event streams open in the core right now, counted by an interceptor. */
  let openStreams = 0;
  const counter: CoreInterceptor = {
    stream(call, next) {
      return (async function* () {
        if (call.ctx.headers.get("x-test-deny") !== null) {
          throw new CoreError("failed_precondition", "events denied by the test interceptor");
        }
        openStreams += 1;
        try {
          yield* next(call);
        } finally {
          openStreams -= 1;
        }
      })();
    },
  };

  before(async () => {
    gw = await startTestGateway({ interceptors: [counter] });
    await gw.gateway.core.pullImage(create(PullImageRequestSchema, { image: { image: busybox } }), ctx);
    pod = await runPod(gw.gateway.core, "events");
  });
  after(() => gw?.close());

  const targets: { name: string; target: () => CurlTarget }[] = [
    { name: "HTTP/1.1 over TCP", target: () => ({ url: gw.url }) },
    { name: "h2c over TCP", target: () => ({ url: gw.url, http2: true }) },
    { name: "HTTP/1.1 over the unix socket", target: () => ({ url: gw.url, socketPath: gw.socketPath }) },
    { name: "h2c over the unix socket", target: () => ({ url: gw.url, socketPath: gw.socketPath, http2: true }) },
  ];

  for (const [index, { name, target }] of targets.entries()) {
    it(`streams a container's lifecycle in order and releases the subscription on disconnect over ${name}`, async () => {
      const core = gw.gateway.core;
      const before = openStreams;
      const sse = openSse(target());
      try {
        await waitFor("the stream to open", () => sse.comments.includes("connected"));
        assert.equal(sse.status, 200);
        assert.equal(sse.headers["content-type"], "text/event-stream");
        assert.equal(sse.headers["cache-control"], "no-cache");
        assert.equal(sse.headers["x-accel-buffering"], "no");
        assert.equal(openStreams, before + 1, "subscribed before the head was sent");

        const { containerId } = await core.createContainer(
          create(CreateContainerRequestSchema, {
            podSandboxId: pod,
            config: { metadata: { name: `ctr-${index}` }, image: { image: busybox }, command: ["sleep", "3600"] },
          }),
          ctx,
        );
        await core.startContainer(create(StartContainerRequestSchema, { containerId }), ctx);
        await core.stopContainer(create(StopContainerRequestSchema, { containerId, timeout: 0n }), ctx);
        await core.removeContainer(create(RemoveContainerRequestSchema, { containerId }), ctx);

        const mine = () =>
          sse.messages.filter((m) => (JSON.parse(m.data) as Json).containerId === containerId);
        const events = await waitFor("four events for the container", () => mine().length >= 4 && mine());
        // CONTAINER_CREATED_EVENT is the enum's zero value, so proto JSON omits it.
        assert.deepEqual(
          events.map((m) => (JSON.parse(m.data) as Json).containerEventType ?? "CONTAINER_CREATED_EVENT"),
          ["CONTAINER_CREATED_EVENT", "CONTAINER_STARTED_EVENT", "CONTAINER_STOPPED_EVENT", "CONTAINER_DELETED_EVENT"],
        );
        for (const m of events) {
          assert.equal(m.event, "container");
          const data = JSON.parse(m.data) as Json;
          assert.match(String(data.createdAt), /^\d+$/, "int64 as a string, as in proto JSON");
          assert.equal((data.podSandboxStatus as Json).id, pod);
        }
        const started = JSON.parse(events[1]?.data ?? "{}") as Json;
        const statuses = started.containersStatuses as Json[];
        assert.equal(statuses.find((s) => s.id === containerId)?.state, "CONTAINER_RUNNING");
        const ids = sse.messages.map((m) => Number(m.id));
        assert.deepEqual(ids, ids.map((_, i) => i + 1), "ids count up from 1 on each stream");
      } finally {
        await sse.close();
      }
      await waitFor("the core subscription to be released", () => openStreams === before);
    });
  }

  it("releases the subscription when an HTTP/2 client resets just that stream", async () => {
    const before = openStreams;
    const session = http2.connect(gw.url);
    try {
      const stream = session.request({ ":method": "GET", ":path": "/v1/events" });
      let body = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        body += chunk;
      });
      await waitFor("the stream to open", () => body.includes(": connected\n\n"));
      assert.equal(openStreams, before + 1);
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await waitFor("the core subscription to be released", () => openStreams === before);

      // The session itself lives on.
      const health = session.request({ ":method": "GET", ":path": "/healthz" });
      let healthBody = "";
      health.setEncoding("utf8");
      health.on("data", (chunk: string) => {
        healthBody += chunk;
      });
      await new Promise((resolve) => health.once("end", resolve));
      assert.deepEqual(JSON.parse(healthBody), { status: "ok", version: "0.1.0" });
    } finally {
      session.destroy();
    }
  });

  it("lets an interceptor refuse the stream with a real HTTP status before it starts", async () => {
    for (const http2Flag of [false, true]) {
      const res = await runCurl({ url: gw.url, http2: http2Flag }, { method: "GET", path: "/v1/events", headers: { "X-Test-Deny": "1" } });
      assert.equal(res.status, 400, res.body);
      assert.equal(res.headers["content-type"], "application/json");
      assert.deepEqual(JSON.parse(res.body), { code: "failed_precondition", message: "events denied by the test interceptor" });
    }
  });

  it("rejects query parameters with 400 invalid_argument", async () => {
    const res = await runCurl({ url: gw.url }, { method: "GET", path: "/v1/events?since=5" });
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body), {
      code: "invalid_argument",
      message: 'unknown query parameter "since"; this route takes none',
    });
  });
});

describe("Server-Sent Events: heartbeat, failures and shutdown", () => {
  for (const kind of ["http1", "h2c"] as const) {
    it(`sends a keep-alive comment every sseHeartbeatMs over ${kind}`, async () => {
      const core = newMemoryCore();
      const served = await serveApp(kind, { core, version: "test", sseHeartbeatMs: 100 });
      const sse = openSse(served.target);
      try {
        const start = Date.now();
        await waitFor("three heartbeats", () => sse.comments.filter((c) => c === "keep-alive").length >= 3, {
          timeoutMs: 3000,
        });
        assert.ok(Date.now() - start >= 250, "heartbeats are spaced, not bursts");
        assert.equal(sse.messages.length, 0, "heartbeats are comments, not events");
      } finally {
        await sse.close();
        await served.close();
        await core.close();
      }
    });
  }

  it("refuses a heartbeat that is not a positive integer at creation", () => {
    const core = newMemoryCore();
    assert.throws(() => createHttpApp({ core, version: "test", sseHeartbeatMs: 0 }), /positive number of milliseconds/);
  });

  for (const kind of ["http1", "h2c"] as const) {
    it(`ends open streams with an unavailable error event at shutdown and refuses new ones over ${kind}`, async () => {
      const core = newMemoryCore();
      const shutdown = new AbortController();
      const served = await serveApp(kind, { core, version: "test", shutdownSignal: shutdown.signal });
      const sse = openSse(served.target);
      try {
        await waitFor("the stream to open", () => sse.comments.includes("connected"));
        shutdown.abort();
        assert.equal(await sse.exited, 0, "the response ended cleanly");
        const last = sse.messages.at(-1);
        assert.equal(last?.event, "error");
        assert.deepEqual(JSON.parse(last?.data ?? "{}"), { code: "unavailable", message: "gateway is shutting down" });

        const late = await runCurl(served.target, { method: "GET", path: "/v1/events" });
        assert.equal(late.status, 503);
        assert.deepEqual(JSON.parse(late.body), { code: "unavailable", message: "gateway is shutting down" });
      } finally {
        await sse.close();
        await served.close();
        await core.close();
      }
    });
  }

  it("sends the core's stream failure as an error event, then ends (on the real gateway)", async () => {
    // A one-event queue: RunPodSandbox publishes CREATED and STARTED at once,
    // so the subscriber overflows and the core fails its stream.
    const gw = await startTestGateway({ core: newMemoryCore({ eventQueueCapacity: 1 }) });
    try {
      for (const http2Flag of [false, true]) {
        const sse = openSse({ url: gw.url, http2: http2Flag });
        try {
          await waitFor("the stream to open", () => sse.comments.includes("connected"));
          await runPod(gw.gateway.core, `overflow-${http2Flag ? "h2" : "h1"}`);
          assert.equal(await sse.exited, 0, "the response ended cleanly");
          const messages = sse.messages;
          assert.deepEqual(messages.map((m) => m.event), ["container", "error"]);
          const error = JSON.parse(messages[1]?.data ?? "{}") as Json;
          assert.equal(error.code, "resource_exhausted");
          assert.match(String(error.message), /fell more than 1 events behind/);
        } finally {
          await sse.close();
        }
      }
    } finally {
      await gw.close();
    }
  });
});
