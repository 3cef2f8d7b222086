import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { http2MaxConcurrentStreams } from "./limits.js";
import { serve } from "./serve.js";
import type { RequestHandler, Serving } from "./serve-options.js";
import {
  echoHandler,
  h1Request,
  h2Connect,
  h2Request,
  makeTempDir,
  runCurl,
  tryConnect,
} from "./test-helpers.test.js";
import type { Echo } from "./test-helpers.test.js";

const quiet = { debug() {}, warn() {} };

describe("serve on TCP and a unix socket", () => {
  let serving: Serving;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let socketPath: string;

  before(async () => {
    temp = await makeTempDir();
    socketPath = join(temp.dir, "gw.sock");
    serving = await serve({
      handler: echoHandler,
      tcp: { host: "127.0.0.1", port: 0 },
      socket: { path: socketPath },
      logger: quiet,
    });
  });
  after(async () => {
    await serving.close({ graceMs: 1000 });
    await temp.remove();
  });

  it("reports the bound TCP address as a URL", () => {
    assert.ok(serving.tcp);
    assert.equal(serving.tcp.host, "127.0.0.1");
    assert.ok(serving.tcp.port > 0);
    assert.equal(serving.tcp.url, `http://127.0.0.1:${serving.tcp.port}`);
    assert.equal(serving.socketPath, socketPath);
  });

  it("answers HTTP/1.1 and h2c on the same TCP port", async () => {
    const port = serving.tcp?.port ?? 0;
    const h1 = await h1Request({ port }, { path: "/one" });
    assert.equal(h1.status, 200);
    assert.deepEqual(pick(JSON.parse(h1.body) as Echo), { httpVersion: "1.1", path: "/one" });

    const session = await h2Connect({ url: serving.tcp?.url ?? "" });
    try {
      const h2 = await h2Request(session, { ":path": "/two" });
      assert.equal(h2.status, 200);
      assert.deepEqual(pick(JSON.parse(h2.body) as Echo), { httpVersion: "2.0", path: "/two" });
    } finally {
      session.close();
    }
  });

  it("keeps an HTTP/1.1 connection alive across requests", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ports = new Set<number>();
      for (const path of ["/a", "/b", "/c"]) {
        const reply = await h1Request({ port: serving.tcp?.port ?? 0 }, { path, agent });
        assert.equal(reply.status, 200);
        assert.equal((JSON.parse(reply.body) as Echo).path, path);
        for (const socket of Object.values(agent.freeSockets).flat()) if (socket) ports.add(socket.localPort ?? 0);
      }
      assert.equal(ports.size, 1, "all three requests reused one connection");
    } finally {
      agent.destroy();
    }
  });

  it("answers HTTP/1.1 and h2c on the unix socket", async () => {
    const h1 = await h1Request({ socketPath }, { path: "/unix-one" });
    assert.equal(h1.status, 200);
    assert.deepEqual(pick(JSON.parse(h1.body) as Echo), { httpVersion: "1.1", path: "/unix-one" });

    const session = await h2Connect({ socketPath });
    try {
      const h2 = await h2Request(session, { ":path": "/unix-two" });
      assert.equal(h2.status, 200);
      assert.deepEqual(pick(JSON.parse(h2.body) as Echo), { httpVersion: "2.0", path: "/unix-two" });
    } finally {
      session.close();
    }
  });

  for (const flag of ["--http1.1", "--http2-prior-knowledge"]) {
    it(`answers curl --unix-socket ${flag}`, async () => {
      const curl = await runCurl([flag, "--unix-socket", socketPath, "http://localhost/curl?x=1"]);
      assert.equal(curl.code, 0, curl.stderr);
      const echo = JSON.parse(curl.stdout) as Echo;
      assert.deepEqual(pick(echo), { httpVersion: flag === "--http1.1" ? "1.1" : "2.0", path: "/curl?x=1" });
      assert.equal(echo.authority, "localhost");
    });

    it(`answers curl ${flag} on the TCP port`, async () => {
      const curl = await runCurl([flag, `${serving.tcp?.url}/tcp-curl`]);
      assert.equal(curl.code, 0, curl.stderr);
      assert.equal((JSON.parse(curl.stdout) as Echo).httpVersion, flag === "--http1.1" ? "1.1" : "2.0");
    });
  }

  it("survives clients that send garbage, half a preface, or nothing", async () => {
    const port = serving.tcp?.port ?? 0;
    const raw = (bytes: string | undefined) =>
      new Promise<string>((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        let received = "";
        socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
        socket.on("error", () => {});
        socket.on("close", () => resolve(received));
        socket.on("connect", () => {
          if (bytes !== undefined) socket.write(bytes);
          socket.end();
        });
      });
    assert.match(await raw("\u0000\u0001garbage\r\n\r\n"), /^HTTP\/1\.1 400/);
    assert.equal(await raw("PRI * HTTP/2.0\r\n"), "");
    assert.equal(await raw(undefined), "");
    // A reset in the middle of the preface.
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.write("PRI * HTTP/2");
        setTimeout(() => socket.resetAndDestroy(), 20);
      });
      socket.on("error", () => {});
      socket.on("close", () => resolve());
    });
    const after = await h1Request({ port }, { path: "/still-up" });
    assert.equal(after.status, 200);
  });

  it("sniffs a preface that arrives one byte at a time", async () => {
    const port = serving.tcp?.port ?? 0;
    const request = "GET /slow-bytes HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    const reply = await new Promise<string>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      let received = "";
      socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
      socket.on("close", () => resolve(received));
      socket.on("connect", async () => {
        socket.setNoDelay(true);
        for (const byte of request) {
          socket.write(byte);
          await new Promise((r) => setTimeout(r, 1));
        }
      });
    });
    assert.match(reply, /^HTTP\/1\.1 200/);
    assert.match(reply, /"path":"\/slow-bytes"/);
  });
});

describe("serve options", () => {
  it("rejects options without a listener", async () => {
    await assert.rejects(serve({ handler: echoHandler }), /give tcp, socket or both/);
  });

  it("rejects tls without tcp", async () => {
    await assert.rejects(
      serve({ handler: echoHandler, socket: { path: "/tmp/x.sock" }, tls: { key: "", cert: "" } }),
      /tls applies to the tcp listener/,
    );
  });

  it("fails clearly when the TCP port is taken", async () => {
    const first = await serve({ handler: echoHandler, tcp: { host: "127.0.0.1", port: 0 }, logger: quiet });
    try {
      const port = first.tcp?.port ?? 0;
      await assert.rejects(
        serve({ handler: echoHandler, tcp: { host: "127.0.0.1", port }, logger: quiet }),
        /cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/,
      );
    } finally {
      await first.close();
    }
  });

  it("applies maxHeaderBytes to HTTP/1.1 headers", async () => {
    const serving = await serve({
      handler: echoHandler,
      tcp: { host: "127.0.0.1", port: 0 },
      maxHeaderBytes: 1024,
      logger: quiet,
    });
    try {
      const port = serving.tcp?.port ?? 0;
      assert.equal((await h1Request({ port }, { headers: { "x-small": "v".repeat(100) } })).status, 200);
      assert.equal((await h1Request({ port }, { headers: { "x-big": "v".repeat(2000) } })).status, 431);
    } finally {
      await serving.close();
    }
  });

  it("brackets an IPv6 host in the URL", async (t) => {
    let serving: Serving;
    try {
      serving = await serve({ handler: echoHandler, tcp: { host: "::1", port: 0 }, logger: quiet });
    } catch {
      t.skip("no IPv6 loopback here");
      return;
    }
    try {
      assert.equal(serving.tcp?.url, `http://[::1]:${serving.tcp?.port}`);
      const reply = await h1Request({ host: "::1", port: serving.tcp?.port ?? 0 });
      assert.equal(reply.status, 200);
    } finally {
      await serving.close();
    }
  });
});

describe("resource limits", () => {
  it("advertises at most http2MaxConcurrentStreams streams on h2c over TCP and the unix socket", async () => {
    const temp = await makeTempDir();
    const socketPath = join(temp.dir, "gw.sock");
    const serving = await serve({
      handler: echoHandler,
      tcp: { host: "127.0.0.1", port: 0 },
      socket: { path: socketPath },
      logger: quiet,
    });
    try {
      for (const target of [{ url: serving.tcp?.url ?? "" }, { socketPath }]) {
        const session = await h2Connect(target);
        try {
          // After a round trip the server's SETTINGS have arrived.
          assert.equal((await h2Request(session, {})).status, 200);
          assert.equal(session.remoteSettings.maxConcurrentStreams, http2MaxConcurrentStreams);
          assert.equal(session.remoteSettings.headerTableSize, 4096, "the header table size stays pinned");
        } finally {
          session.close();
        }
      }
    } finally {
      await serving.close();
      await temp.remove();
    }
    assert.equal(http2MaxConcurrentStreams, 100);
  });

  it("lets no more than 100 streams of one connection reach the handler at once", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived = 0;
    let onHundred!: () => void;
    const hundred = new Promise<void>((resolve) => (onHundred = resolve));
    const handler: RequestHandler = (req, res) => {
      if (++arrived === http2MaxConcurrentStreams) onHundred();
      void released.then(() => echoHandler(req, res));
    };
    const serving = await serve({ handler, tcp: { host: "127.0.0.1", port: 0 }, logger: quiet });
    const session = await h2Connect({ url: serving.tcp?.url ?? "" });
    try {
      await new Promise<void>((resolve) => session.once("remoteSettings", () => resolve()));
      const pending = Array.from({ length: http2MaxConcurrentStreams + 1 }, (_, i) =>
        h2Request(session, { ":path": `/stream-${i}` }),
      );
      await hundred;
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(arrived, http2MaxConcurrentStreams, "the 101st stream waits for a free slot");
      release();
      const replies = await Promise.all(pending);
      assert.deepEqual(new Set(replies.map((reply) => reply.status)), new Set([200]));
      assert.equal(arrived, http2MaxConcurrentStreams + 1);
    } finally {
      session.destroy();
      await serving.close({ graceMs: 500 });
    }
  });

  it("closes connections beyond maxConnections on TCP and the unix socket, and warns once", async () => {
    const temp = await makeTempDir();
    const socketPath = join(temp.dir, "gw.sock");
    const warnings: string[] = [];
    const serving = await serve({
      handler: echoHandler,
      tcp: { host: "127.0.0.1", port: 0 },
      socket: { path: socketPath },
      maxConnections: 2,
      logger: { debug() {}, warn: (message: string) => warnings.push(message) },
    });
    const held: net.Socket[] = [];
    try {
      const port = serving.tcp?.port ?? 0;
      for (const target of [{ port }, { path: socketPath }]) {
        // Two silent connections fill the listener (they wait in protocol detection).
        for (let i = 0; i < 2; i++) held.push(await openConnection(target));
        assert.equal(await closedWithoutAnswer(target), true, `a third connection to ${JSON.stringify(target)} is closed`);
      }
      assert.equal(warnings.filter((w) => w.startsWith("connection limit reached")).length, 2, "one warning per listener");
      for (const socket of held) socket.destroy();
      // Once the held connections are gone, the listeners serve again (bounded wait).
      for (let attempt = 0; ; attempt++) {
        const ok = await h1Request({ port }).then((r) => r.status === 200, () => false);
        const okUnix = await h1Request({ socketPath }).then((r) => r.status === 200, () => false);
        if (ok && okUnix) break;
        assert.ok(attempt < 50, "listeners serve again after connections close");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      for (const socket of held) socket.destroy();
      await serving.close({ graceMs: 500 });
      await temp.remove();
    }
  });

  it("rejects a maxConnections that is not a positive integer", async () => {
    for (const maxConnections of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(
        serve({ handler: echoHandler, tcp: { host: "127.0.0.1", port: 0 }, maxConnections, logger: quiet }),
        /maxConnections must be a positive integer/,
      );
    }
  });
});

/** A connected socket that sends nothing. */
function openConnection(target: { port: number } | { path: string }): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = "port" in target ? net.connect(target.port, "127.0.0.1") : net.connect(target.path);
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** True when the server closes a fresh connection without writing anything, within 2 s. */
function closedWithoutAnswer(target: { port: number } | { path: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = "port" in target ? net.connect(target.port, "127.0.0.1") : net.connect(target.path);
    let answered = false;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 2000);
    socket.on("data", () => (answered = true));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(!answered);
    });
  });
}

describe("graceful close", () => {
  /** A handler whose responses wait until `release()`; `started` resolves once `count` requests arrived. */
  function createSlowHandler(count: number) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived = 0;
    let onAllArrived!: () => void;
    const started = new Promise<void>((resolve) => (onAllArrived = resolve));
    const handler: RequestHandler = (req, res) => {
      if (++arrived === count) onAllArrived();
      void released.then(() => echoHandler(req, res));
    };
    return { handler, started, release };
  }

  it("lets in-flight HTTP/1.1 and HTTP/2 requests finish and refuses new connections", async () => {
    const temp = await makeTempDir();
    const socketPath = join(temp.dir, "gw.sock");
    const slow = createSlowHandler(3);
    const serving = await serve({
      handler: slow.handler,
      tcp: { host: "127.0.0.1", port: 0 },
      socket: { path: socketPath },
      logger: quiet,
    });
    const port = serving.tcp?.port ?? 0;
    const h2 = await h2Connect({ url: serving.tcp?.url ?? "" });
    const unixH2 = await h2Connect({ socketPath });
    try {
      const pending = [
        h1Request({ port }, { path: "/slow-h1" }),
        h2Request(h2, { ":path": "/slow-h2" }),
        h2Request(unixH2, { ":path": "/slow-unix", ":authority": socketPath }),
      ];
      await slow.started;
      const closing = serving.close({ graceMs: 5000 });
      // Give close() a moment to stop the listeners.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await tryConnect({ port }), "ECONNREFUSED");
      assert.match(await tryConnect({ path: socketPath }), /^(ENOENT|ECONNREFUSED)$/);

      let closed = false;
      void closing.then(() => (closed = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(closed, false, "close waits for in-flight requests");

      slow.release();
      const [h1Reply, h2Reply, unixReply] = await Promise.all(pending);
      assert.equal(h1Reply?.status, 200);
      assert.equal((JSON.parse(h1Reply?.body ?? "") as Echo).path, "/slow-h1");
      assert.equal(h1Reply?.headers.connection, "close");
      assert.equal(h2Reply?.status, 200);
      assert.equal((JSON.parse(h2Reply?.body ?? "") as Echo).path, "/slow-h2");
      assert.equal(unixReply?.status, 200);
      assert.equal((JSON.parse(unixReply?.body ?? "") as Echo).authority, "localhost");
      await closing;
    } finally {
      h2.destroy();
      unixH2.destroy();
      await serving.close();
      await temp.remove();
    }
  });

  it("closes idle keep-alive and HTTP/2 connections at once", async () => {
    const serving = await serve({ handler: echoHandler, tcp: { host: "127.0.0.1", port: 0 }, logger: quiet });
    const agent = new http.Agent({ keepAlive: true });
    const session = await h2Connect({ url: serving.tcp?.url ?? "" });
    const idle = net.connect(serving.tcp?.port ?? 0, "127.0.0.1");
    idle.on("error", () => {});
    const idleConnected = new Promise((resolve) => idle.once("connect", resolve));
    try {
      assert.equal((await h1Request({ port: serving.tcp?.port ?? 0 }, { agent })).status, 200);
      assert.equal((await h2Request(session, {})).status, 200);
      await idleConnected;
      const started = Date.now();
      await serving.close({ graceMs: 10_000 });
      assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`);
    } finally {
      agent.destroy();
      session.destroy();
      idle.destroy();
    }
  });

  it("destroys what is left when the grace period ends", async () => {
    const never: RequestHandler = () => {};
    const serving = await serve({ handler: never, tcp: { host: "127.0.0.1", port: 0 }, logger: quiet });
    const session = await h2Connect({ url: serving.tcp?.url ?? "" });
    try {
      const h1 = h1Request({ port: serving.tcp?.port ?? 0 }).then(
        () => "answered",
        (err: NodeJS.ErrnoException) => err.code ?? err.message,
      );
      const h2 = h2Request(session, {});
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      await serving.close({ graceMs: 200 });
      const took = Date.now() - started;
      assert.ok(took >= 150 && took < 2000, `close took ${took} ms`);
      assert.equal(await h1, "ECONNRESET");
      assert.equal((await h2).status, 0, "the stream got no response");
      // Idempotent: a second call is the same finished close.
      await serving.close();
    } finally {
      session.destroy();
    }
  });
});

function pick(echo: Echo): { httpVersion: string; path: string } {
  return { httpVersion: echo.httpVersion, path: echo.path };
}
