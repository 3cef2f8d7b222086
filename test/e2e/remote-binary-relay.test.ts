/**
 * The remote core relays binary unary calls (gRPC, gRPC-Web, Connect
 * binary) without decoding them. What that must keep true, checked against
 * a stand-in runtime on a unix socket (a plain node:http2 gRPC server, since
 * no real runtime here sends fields from a newer CRI):
 * - fields unknown to the gateway's proto survive both ways;
 * - request checking is the runtime's: a missing id gets the runtime's own
 *   answer on every protocol, JSON included;
 * - Exec still returns a gateway streaming URL (that call is decoded);
 * - headers, deadlines and upstream statuses pass as for decoded calls.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import {
  ExecResponseSchema,
  RuntimeService,
  VersionRequestSchema,
  VersionResponseSchema,
} from "../../gen/runtime/v1/api_pb.js";
import { type ClientCombo, createTransport } from "../helpers/cri-clients.js";
import { makeTempDir, startTestGateway, type TestGateway } from "../helpers/start-gateway.js";

const futureField = 99;
const echoField = 98;

/** A gRPC server speaking just enough CRI to answer Version, ContainerStatus and Exec. */
function startStandIn(path: string): Promise<{ close(): Promise<void>; seenHeaders: http2.IncomingHttpHeaders[]; hung: Promise<void>[] }> {
  const seenHeaders: http2.IncomingHttpHeaders[] = [];
  // Streams of calls the stand-in never answers; each resolves when the gateway closes it.
  const hung: Promise<void>[] = [];
  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    seenHeaders.push(headers);
    if (headers[":path"] === "/runtime.v1.RuntimeService/Status") {
      // Headers, then the connection drops before any status: the runtime died mid-call.
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      setTimeout(() => stream.session?.destroy(), 20);
      return;
    }
    if (headers[":path"] === "/runtime.v1.RuntimeService/ContainerStats") {
      hung.push(new Promise((resolve) => stream.once("close", () => resolve())));
      stream.resume();
      return;
    }
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      const body = Buffer.concat(chunks).subarray(5);
      const reply = (bytes: Uint8Array) => {
        const frame = Buffer.alloc(5 + bytes.length);
        frame.writeUInt32BE(bytes.length, 1);
        frame.set(bytes, 5);
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(frame);
      };
      switch (headers[":path"]) {
        case "/runtime.v1.RuntimeService/Version": {
          const known = toBinary(VersionResponseSchema, create(VersionResponseSchema, { version: "0.1.0", runtimeName: "stand-in" }));
          // A field from a newer CRI, and the request bytes as received.
          const extra = new BinaryWriter().tag(futureField, WireType.LengthDelimited).string("from a newer CRI").tag(echoField, WireType.LengthDelimited).bytes(body).finish();
          reply(Buffer.concat([known, extra]));
          return;
        }
        case "/runtime.v1.RuntimeService/Exec":
          reply(toBinary(ExecResponseSchema, create(ExecResponseSchema, { url: "http://127.0.0.1:9/exec/stand-in-token" })));
          return;
        default:
          stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": String(Code.NotFound), "grpc-message": "stand-in%3A no such thing" }, { endStream: true });
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(path, () =>
      resolve({ seenHeaders, hung, close: () => new Promise<void>((r) => server.close(() => r())) }),
    );
  });
}

/** `promise`, or a failure naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const combos: ClientCombo[] = [
  { protocol: "grpc", via: "tcp", httpVersion: "2" },
  { protocol: "grpc-web", via: "tcp", httpVersion: "1.1" },
  { protocol: "connect-binary", via: "tcp", httpVersion: "1.1" },
];

describe("remote core: binary calls relayed undecoded", () => {
  let standIn: Awaited<ReturnType<typeof startStandIn>>;
  let gateway: TestGateway;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;

  before(async () => {
    temp = await makeTempDir();
    const socket = join(temp.dir, "standin.sock");
    standIn = await startStandIn(socket);
    gateway = await startTestGateway({ runtime: "remote", coreSettings: { upstream: `unix://${socket}` } });
  });
  after(async () => {
    await gateway?.close();
    await standIn?.close();
    await temp?.remove();
  });

  for (const combo of combos) {
    it(`keeps unknown fields both ways over ${combo.protocol}`, async () => {
      const { transport, close } = createTransport({ url: gateway.url, socketPath: gateway.socketPath }, combo);
      try {
        const client = createClient(RuntimeService, transport);
        const request = create(VersionRequestSchema, { version: "v1" });
        // A field this gateway does not know, sent by a newer client.
        request.$unknown = [{ no: 77, wireType: WireType.Varint, data: new BinaryWriter().uint32(42).finish() }];
        const response = await client.version(request, { headers: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } });
        assert.equal(response.runtimeName, "stand-in");
        const unknown = response.$unknown ?? [];
        const future = unknown.find((f) => f.no === futureField);
        assert.ok(future, "the newer field reached the client");
        assert.equal(new BinaryReader(future.data).string(), "from a newer CRI");
        const echoed = unknown.find((f) => f.no === echoField);
        assert.ok(echoed, "the stand-in echoed the request");
        const seen = fromBinary(VersionRequestSchema, new BinaryReader(echoed.data).bytes());
        assert.equal(seen.version, "v1");
        assert.deepEqual(seen.$unknown?.map((f) => f.no), [77], "the client's unknown field reached the runtime");
        const last = standIn.seenHeaders.at(-1);
        assert.equal(last?.traceparent, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assert.match(String(last?.["grpc-timeout"]), /^\d+m$/, "a deadline always goes upstream");
      } finally {
        close();
      }
    });

    it(`leaves request checks to the runtime over ${combo.protocol}`, async () => {
      const { transport, close } = createTransport({ url: gateway.url, socketPath: gateway.socketPath }, combo);
      try {
        const client = createClient(RuntimeService, transport);
        const err = await client.containerStatus({ containerId: "" }).then(
          () => assert.fail("expected the stand-in's not_found"),
          (e: unknown) => ConnectError.from(e),
        );
        assert.equal(err.code, Code.NotFound);
        assert.equal(err.rawMessage, "stand-in: no such thing");
      } finally {
        close();
      }
    });

    it(`rewrites Exec's URL to the gateway over ${combo.protocol}`, async () => {
      const { transport, close } = createTransport({ url: gateway.url, socketPath: gateway.socketPath }, combo);
      try {
        const { url } = await createClient(RuntimeService, transport).exec({ containerId: "x", cmd: ["true"], stdout: true });
        assert.match(url, new RegExp(`^${gateway.url}/stream/exec/[A-Za-z0-9_-]{22}$`));
      } finally {
        close();
      }
    });
  }

  for (const combo of [combos[0], { protocol: "connect-json", via: "tcp", httpVersion: "1.1" }] as ClientCombo[]) {
    it(`answers unavailable, not internal, when the runtime's connection drops before a status, over ${combo.protocol}`, async () => {
      const { transport, close } = createTransport({ url: gateway.url, socketPath: gateway.socketPath }, combo);
      try {
        const err = await createClient(RuntimeService, transport)
          .status({})
          .then(() => assert.fail("expected unavailable"), (e: unknown) => ConnectError.from(e));
        assert.equal(err.code, Code.Unavailable, err.message);
        assert.match(err.rawMessage, /is unavailable: the call was cut off/);
      } finally {
        close();
      }
    });
  }

  it("cancels the upstream call when the client's deadline passes, over gRPC", async () => {
    const { transport, close } = createTransport({ url: gateway.url, socketPath: gateway.socketPath }, combos[0] as ClientCombo);
    try {
      const before = standIn.hung.length;
      const started = Date.now();
      const err = await createClient(RuntimeService, transport)
        .containerStats({ containerId: "x" }, { timeoutMs: 300 })
        .then(() => assert.fail("expected deadline_exceeded"), (e: unknown) => ConnectError.from(e));
      assert.equal(err.code, Code.DeadlineExceeded);
      assert.ok(Date.now() - started < 2000, "answered at the deadline");
      assert.equal(standIn.hung.length, before + 1);
      await within(standIn.hung.at(-1) as Promise<void>, 3000, "the gateway resets the upstream stream");
    } finally {
      close();
    }
  });

  it("cancels the upstream call when the client cancels, over gRPC", async () => {
    const { transport, close } = createTransport({ url: gateway.url, socketPath: gateway.socketPath }, combos[0] as ClientCombo);
    try {
      const before = standIn.hung.length;
      const abort = new AbortController();
      const call = createClient(RuntimeService, transport).containerStats({ containerId: "x" }, { signal: abort.signal });
      while (standIn.hung.length === before) await new Promise((r) => setTimeout(r, 10));
      abort.abort();
      const err = await call.then(() => assert.fail("expected canceled"), (e: unknown) => ConnectError.from(e));
      assert.equal(err.code, Code.Canceled);
      await within(standIn.hung.at(-1) as Promise<void>, 3000, "the gateway resets the upstream stream");
    } finally {
      close();
    }
  });

  it("still leaves checks to the runtime when interceptors decode every call", async () => {
    const seen: string[] = [];
    const intercepted = await startTestGateway({
      runtime: "remote",
      coreSettings: { upstream: `unix://${join(temp.dir, "standin.sock")}` },
      interceptors: [{ unary: (call, next) => (seen.push(call.method.name), next(call)) }],
    });
    try {
      const { transport, close } = createTransport({ url: intercepted.url, socketPath: intercepted.socketPath }, combos[0] as ClientCombo);
      try {
        const err = await createClient(RuntimeService, transport).containerStatus({ containerId: "" }).then(
          () => assert.fail("expected the stand-in's not_found"),
          (e: unknown) => ConnectError.from(e),
        );
        assert.equal(err.code, Code.NotFound);
        assert.equal(err.rawMessage, "stand-in: no such thing");
        assert.deepEqual(seen, ["ContainerStatus"], "the interceptor saw the call");
      } finally {
        close();
      }
    } finally {
      await intercepted.close();
    }
  });

  it("answers JSON calls with the runtime's checks too", async () => {
    const res = await fetch(`${gateway.url}/runtime.v1.RuntimeService/ContainerStatus`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { code: "not_found", message: "stand-in: no such thing" });
  });
});
