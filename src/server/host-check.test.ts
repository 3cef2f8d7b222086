import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import hpack from "hpack.js";
import { createHostGuard, exposureWarning, isLoopbackHost, parseHostname } from "./host-check.js";
import { serve } from "./serve.js";
import type { RequestHandler, Serving } from "./serve-options.js";
import { http2Preface } from "./sniff.js";
import { echoHandler, h2Connect, h2Request, makeTempDir } from "./test-helpers.test.js";

const quiet = { debug() {}, warn() {} };

/** One raw HTTP/1.x request (so Host is exactly what we write, or absent) over TCP or a unix socket. */
function rawHttp1(
  target: { port: number } | { path: string },
  { host, version = "1.1" }: { host: string | undefined; version?: string },
): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = "port" in target ? net.connect(target.port, "127.0.0.1") : net.connect(target.path);
    let received = "";
    socket.setTimeout(5000, () => socket.destroy(new Error("no answer within 5 s")));
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", body = ""] = received.split("\r\n\r\n", 2);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      const contentType = /^content-type: *(.*)$/im.exec(head)?.[1]?.trim();
      resolve({ status, contentType, body });
    });
    const hostLine = host === undefined ? "" : `Host: ${host}\r\n`;
    socket.write(`GET /host-check HTTP/${version}\r\n${hostLine}Connection: close\r\n\r\n`);
  });
}

/**
 * One raw h2c request whose header block carries `host` but no `:authority`
 * (Node's client always adds `:authority`). Resolves with the `:status`.
 */
function rawHttp2WithHostOnly(port: number, host: string): Promise<number> {
  const frame = (type: number, flags: number, streamId: number, payload: Buffer) => {
    const head = Buffer.alloc(9);
    head.writeUIntBE(payload.length, 0, 3);
    head[3] = type;
    head[4] = flags;
    head.writeUInt32BE(streamId, 5);
    return Buffer.concat([head, payload]);
  };
  const compressor = hpack.compressor.create({ table: { maxSize: 4096 } });
  compressor.write([
    { name: ":method", value: "GET" },
    { name: ":scheme", value: "http" },
    { name: ":path", value: "/host-only" },
    { name: "host", value: host },
  ]);
  const block = compressor.read() ?? Buffer.alloc(0);
  const decompressor = hpack.decompressor.create({ table: { maxSize: 4096 } });
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    socket.setTimeout(5000, () => socket.destroy(new Error("no answer within 5 s")));
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 9) {
        const length = received.readUIntBE(0, 3);
        if (received.length < 9 + length) return;
        const type = received[3];
        const streamId = received.readUInt32BE(5) & 0x7fffffff;
        const payload = received.subarray(9, 9 + length);
        received = received.subarray(9 + length);
        if (type === 0x1 && streamId === 1) {
          decompressor.write(payload);
          decompressor.execute();
          for (let field = decompressor.read(); field; field = decompressor.read()) {
            if (field.name === ":status") {
              socket.destroy();
              resolve(Number(field.value));
              return;
            }
          }
        }
      }
    });
    // Preface, empty SETTINGS, then HEADERS with END_STREAM | END_HEADERS on stream 1.
    socket.write(Buffer.concat([http2Preface, frame(0x4, 0, 0, Buffer.alloc(0)), frame(0x1, 0x5, 1, block)]));
  });
}

describe("parseHostname", () => {
  const cases: [name: string, value: string, expected: string | undefined][] = [
    ["lower-cases a name and drops the port", "LocalHost:7070", "localhost"],
    ["keeps a name without port", "gateway.example", "gateway.example"],
    ["accepts an empty port", "localhost:", "localhost"],
    ["drops one trailing dot", "localhost.", "localhost"],
    ["unbrackets an IPv6 literal with port", "[::1]:8080", "::1"],
    ["unbrackets an IPv6 literal without port", "[::1]", "::1"],
    ["takes an unbracketed IPv6 literal whole", "::1", "::1"],
    ["refuses a non-numeric port", "localhost:http", undefined],
    ["refuses junk after the brackets", "[::1]x", undefined],
    ["refuses an empty value", "", undefined],
    ["refuses userinfo", "evil.example@localhost", undefined],
    ["refuses a space", "local host", undefined],
  ];
  for (const [name, value, expected] of cases) {
    it(name, () => assert.equal(parseHostname(value), expected));
  }
});

describe("isLoopbackHost", () => {
  const cases: [host: string, loopback: boolean][] = [
    ["localhost", true],
    ["LOCALHOST", true],
    ["127.0.0.1", true],
    ["127.200.3.4", true],
    ["::1", true],
    ["0:0:0:0:0:0:0:1", true],
    ["::ffff:127.0.0.1", true],
    ["128.0.0.1", false],
    ["0.0.0.0", false],
    ["::", false],
    ["localhost.evil.example", false],
    ["127.0.0.1.evil.example", false],
  ];
  for (const [host, loopback] of cases) {
    it(`${loopback ? "accepts" : "rejects"} ${host}`, () => assert.equal(isLoopbackHost(host), loopback));
  }
});

describe("exposureWarning", () => {
  it("warns about a cleartext listener on a non-loopback address", () => {
    for (const address of ["0.0.0.0", "::", "192.0.2.7"]) {
      assert.equal(
        exposureWarning(address, false),
        "listening on a non-loopback address without TLS: anyone who can reach it controls the node's containers",
      );
    }
  });
  it("stays quiet on loopback or with TLS", () => {
    assert.equal(exposureWarning("127.0.0.1", false), undefined);
    assert.equal(exposureWarning("::1", false), undefined);
    assert.equal(exposureWarning("0.0.0.0", true), undefined);
  });
});

describe("host check on a loopback TCP listener", () => {
  let serving: Serving;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let socketPath: string;
  let port: number;
  let calls = 0;
  const warnings: string[] = [];
  const counting: RequestHandler = (req, res) => {
    calls++;
    echoHandler(req, res);
  };

  before(async () => {
    temp = await makeTempDir();
    socketPath = join(temp.dir, "gw.sock");
    serving = await serve({
      handler: counting,
      tcp: { host: "127.0.0.1", port: 0 },
      socket: { path: socketPath },
      allowedHosts: ["Gateway.Example:7070"],
      logger: { debug() {}, warn: (message: string) => warnings.push(message) },
    });
    port = serving.tcp?.port ?? 0;
  });
  after(async () => {
    await serving.close({ graceMs: 1000 });
    await temp.remove();
  });

  it("logs no exposure warning on loopback", () => {
    assert.deepEqual(warnings, []);
  });

  const accepted = [
    "localhost",
    "LOCALHOST:1234",
    "127.0.0.1",
    "127.0.0.1:80",
    "127.9.8.7:80",
    "[::1]:80",
    "[::1]",
    "gateway.example",
    "GATEWAY.example:9",
  ];
  for (const host of accepted) {
    it(`serves HTTP/1.1 with Host ${host}`, async () => {
      assert.equal((await rawHttp1({ port }, { host })).status, 200);
    });
  }

  const refused: [host: string | undefined, reported: string][] = [
    ["evil.example", "evil.example"],
    ["Evil.Example:8080", "evil.example"],
    ["localhost.evil.example", "localhost.evil.example"],
    ["127.0.0.1.nip.io", "127.0.0.1.nip.io"],
    ["10.0.0.1", "10.0.0.1"],
    ["localhost:http", "localhost:http"],
    ["", ""],
  ];
  for (const [host, reported] of refused) {
    it(`refuses HTTP/1.1 with Host ${JSON.stringify(host)} with 421 and never calls the handler`, async () => {
      const before = calls;
      const reply = await rawHttp1({ port }, { host });
      assert.equal(reply.status, 421);
      assert.equal(reply.contentType, "application/json");
      assert.deepEqual(JSON.parse(reply.body), {
        code: "permission_denied",
        message: `host "${reported}" is not allowed; start the gateway with --allowed-host ${reported} to allow it`,
      });
      assert.equal(calls, before);
    });
  }

  it("refuses an HTTP/1.0 request without Host", async () => {
    assert.equal((await rawHttp1({ port }, { host: undefined, version: "1.0" })).status, 421);
  });

  it("checks :authority on h2c", async () => {
    const session = await h2Connect({ url: `http://127.0.0.1:${port}` });
    try {
      assert.equal((await h2Request(session, { ":authority": `localhost:${port}` })).status, 200);
      const before = calls;
      const refused = await h2Request(session, { ":authority": "evil.example" });
      assert.equal(refused.status, 421);
      assert.equal(refused.headers["content-type"], "application/json");
      assert.equal((JSON.parse(refused.body) as { code: string }).code, "permission_denied");
      assert.equal(calls, before);
    } finally {
      session.close();
    }
  });

  it("falls back to Host on h2c when :authority is absent", async () => {
    assert.equal(await rawHttp2WithHostOnly(port, "localhost"), 200);
    assert.equal(await rawHttp2WithHostOnly(port, "evil.example"), 421);
  });

  it("does not check the unix socket", async () => {
    assert.equal((await rawHttp1({ path: socketPath }, { host: "evil.example" })).status, 200);
    assert.equal((await rawHttp1({ path: socketPath }, { host: socketPath })).status, 200);
  });
});

describe("host guard", () => {
  /** A loopback server behind `guard`, which is told it is bound to `boundAddress`. */
  async function withGuardedServer(
    options: { allowedHosts?: readonly string[]; boundAddress?: string },
    run: (port: number) => Promise<void>,
  ): Promise<void> {
    const guard = createHostGuard({ ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}) });
    if (options.boundAddress !== undefined) guard.setBoundAddress(options.boundAddress);
    const server = http.createServer(guard.wrap(echoHandler));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const address = server.address();
      assert.ok(address !== null && typeof address === "object");
      await run(address.port);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it("checks every request until it knows the bound address", async () => {
    await withGuardedServer({}, async (port) => {
      assert.equal((await rawHttp1({ port }, { host: "evil.example" })).status, 421);
    });
  });

  it("accepts any host on a non-loopback address without allowedHosts", async () => {
    await withGuardedServer({ boundAddress: "192.0.2.10" }, async (port) => {
      assert.equal((await rawHttp1({ port }, { host: "node-7.cluster.example" })).status, 200);
    });
    await withGuardedServer({ boundAddress: "::" }, async (port) => {
      assert.equal((await rawHttp1({ port }, { host: "anything" })).status, 200);
    });
  });

  it("accepts only allowedHosts and loopback names on a non-loopback address with allowedHosts", async () => {
    await withGuardedServer({ boundAddress: "0.0.0.0", allowedHosts: ["node-7.cluster.example"] }, async (port) => {
      assert.equal((await rawHttp1({ port }, { host: "node-7.cluster.example:10250" })).status, 200);
      assert.equal((await rawHttp1({ port }, { host: "localhost" })).status, 200);
      assert.equal((await rawHttp1({ port }, { host: "[::1]:1" })).status, 200);
      assert.equal((await rawHttp1({ port }, { host: "other.example" })).status, 421);
    });
  });

  it("rejects an allowedHosts entry that is not a host name", () => {
    assert.throws(() => createHostGuard({ allowedHosts: ["bad host:x"] }), /allowedHosts entry "bad host:x"/);
    assert.throws(() => createHostGuard({ allowedHosts: [""] }), TypeError);
  });
});
