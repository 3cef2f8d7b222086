/**
 * proxyUpgrade against a real upstream on 127.0.0.1: the 101 is relayed and
 * bytes are spliced both ways intact (8 MiB each way, so back-pressure is
 * exercised); query strings are appended and credentials withheld; non-101
 * answers are relayed; unreachable and silent upstreams get 502 and 504;
 * either side closing tears the other down.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import http, { type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import net, { type AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { once } from "node:events";
import { proxyUpgrade } from "./upgrade-proxy.js";

/** What the upstream saw of one upgrade request. */
interface UpstreamRequest {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly socket: net.Socket;
}

/** A connection to the front server, with what it received so far. */
interface Client {
  readonly socket: net.Socket;
  /** Every byte received, head included. */
  received(): Buffer;
  /** Resolves once `predicate(received)` holds (checked on every chunk), or rejects on timeout. */
  waitFor(predicate: (bytes: Buffer) => boolean, what: string, timeoutMs?: number): Promise<Buffer>;
  /** Resolves when the connection has closed. */
  readonly closed: Promise<void>;
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("proxyUpgrade", () => {
  let upstream: http.Server;
  let upstreamPort: number;
  let front: http.Server;
  let frontPort: number;
  let deadPort: number;
  /** Upgrade requests the upstream got, newest last. */
  const upstreamRequests: UpstreamRequest[] = [];
  /** Where the front proxies to, and its handshake limit; set per test. */
  let target = "";
  let handshakeMs: number | undefined;

  before(async () => {
    upstream = http.createServer((_req, res) => {
      res.statusCode = 426;
      res.end("upgrade required");
    });
    upstream.on("upgrade", (req: IncomingMessage, socket: net.Socket, head: Buffer) => {
      upstreamRequests.push({ url: req.url ?? "", headers: req.headers, rawHeaders: req.rawHeaders, socket });
      socket.on("error", () => socket.destroy());
      const path = (req.url ?? "").split("?")[0] ?? "";
      if (path.startsWith("/echo")) {
        socket.write(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\nX-Upstream: echo\r\n\r\n",
        );
        if (head.length > 0) socket.write(head);
        socket.pipe(socket);
      } else if (path.startsWith("/expired")) {
        const body = '{"kind":"Status","message":"session expired"}';
        socket.end(
          `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nX-Upstream: expired\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
      } else if (path.startsWith("/chunked")) {
        socket.end("HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nno no\r\n3\r\n!!!\r\n0\r\n\r\n");
      }
      // "/silent": accept and never answer. After an upgrade the HTTP server
      // no longer ends half-closed sockets, so answer a FIN with ours.
      else socket.on("end", () => socket.end());
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    upstreamPort = (upstream.address() as AddressInfo).port;

    front = http.createServer((_req, res) => {
      res.statusCode = 400;
      res.end();
    });
    front.on("upgrade", (request: IncomingMessage, socket: net.Socket, head: Buffer) => {
      proxyUpgrade({ request, socket, head, target: new URL(target), handshakeMs });
    });
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    frontPort = (front.address() as AddressInfo).port;

    // A port nothing listens on: bind one, then let it go.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    deadPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  after(async () => {
    // Upgraded sockets are no longer the servers' to close.
    for (const { socket } of upstreamRequests) socket.destroy();
    for (const server of [front, upstream]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  beforeEach(() => {
    target = `http://127.0.0.1:${upstreamPort}/echo/session-1`;
    handshakeMs = undefined;
  });

  /** Open a connection to the front server and send an upgrade request to `path`, with `early` bytes right after the head. */
  function connect(path: string, headers: Record<string, string> = {}, early?: Buffer): Client {
    const socket = net.connect(frontPort, "127.0.0.1");
    const chunks: Buffer[] = [];
    let total: Buffer = Buffer.alloc(0);
    const waiters = new Set<() => void>();
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      total = Buffer.concat([total, chunk]);
      for (const check of waiters) check();
    });
    socket.on("error", () => {});
    const closed = once(socket, "close").then(() => {
      for (const check of waiters) check();
    });
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${frontPort}`,
      "Connection: Upgrade",
      "Upgrade: websocket",
      "Sec-WebSocket-Version: 13",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    const request = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
    socket.write(early === undefined ? request : Buffer.concat([request, early]));
    return {
      socket,
      received: () => total,
      closed,
      waitFor(predicate, what, timeoutMs = 10_000) {
        return new Promise((resolve, reject) => {
          const check = () => {
            if (predicate(total)) {
              done();
              resolve(total);
            }
          };
          const timer = setTimeout(() => {
            done();
            reject(new Error(`timed out waiting for ${what}; received ${total.length} bytes: ${JSON.stringify(total.subarray(0, 300).toString("latin1"))}`));
          }, timeoutMs);
          const done = () => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          check();
        });
      },
    };
  }

  const headEnd = (bytes: Buffer) => bytes.indexOf("\r\n\r\n");
  const headOf = (bytes: Buffer) => bytes.subarray(0, headEnd(bytes)).toString("latin1");
  const bodyOf = (bytes: Buffer) => bytes.subarray(headEnd(bytes) + 4);

  it("relays the upstream's 101 and splices 8 MiB each way intact", async () => {
    const client = connect("/stream/exec/tok", { "Sec-WebSocket-Protocol": "v5.channel.k8s.io, v4.channel.k8s.io" });
    const head = headOf(await client.waitFor((b) => headEnd(b) >= 0, "the 101 head"));
    assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(head, /\r\nUpgrade: websocket/i);
    assert.match(head, /\r\nSec-WebSocket-Protocol: v5\.channel\.k8s\.io/i);
    assert.match(head, /\r\nX-Upstream: echo/i, "the upstream's own headers pass");

    const payload = randomBytes(8 * 1024 * 1024);
    const headLength = headEnd(client.received()) + 4;
    // Write in pieces, honouring back-pressure on our side too.
    for (let offset = 0; offset < payload.length; offset += 256 * 1024) {
      if (!client.socket.write(payload.subarray(offset, offset + 256 * 1024))) await once(client.socket, "drain");
    }
    const all = await client.waitFor((b) => b.length >= headLength + payload.length, "8 MiB echoed", 30_000);
    const echoed = all.subarray(headLength);
    assert.equal(echoed.length, payload.length);
    assert.equal(sha256(echoed), sha256(payload), "the echoed bytes equal the sent bytes");
    client.socket.destroy();
    await client.closed;
  });

  it("forwards bytes the client sent right behind the request head", async () => {
    const client = connect("/stream/exec/tok", {}, Buffer.from("early-bytes"));
    const all = await client.waitFor((b) => headEnd(b) >= 0 && bodyOf(b).toString() === "early-bytes", "the early bytes echoed");
    assert.match(headOf(all), /^HTTP\/1\.1 101 /);
    client.socket.destroy();
  });

  it("appends the client's query to the target's and passes the stream headers but no credentials", async () => {
    target = `http://127.0.0.1:${upstreamPort}/echo/session-2?token=abc`;
    const before = upstreamRequests.length;
    const client = connect("/stream/portforward/tok?port=8080&port=9090", {
      "X-Stream-Protocol-Version": "v4.channel.k8s.io",
      "Sec-WebSocket-Protocol": "v4.channel.k8s.io",
      Authorization: "Bearer gateway-secret",
      "Proxy-Authorization": "Basic c2VjcmV0",
      Cookie: "session=gateway-cookie",
      "X-Custom": "kept",
    });
    await client.waitFor((b) => headEnd(b) >= 0, "the 101 head");
    const seen = upstreamRequests[before];
    assert.ok(seen !== undefined, "the upstream got the request");
    assert.equal(seen.url, "/echo/session-2?token=abc&port=8080&port=9090");
    assert.equal(seen.headers["x-stream-protocol-version"], "v4.channel.k8s.io");
    assert.equal(seen.headers["sec-websocket-protocol"], "v4.channel.k8s.io");
    assert.equal(seen.headers["sec-websocket-key"], "dGhlIHNhbXBsZSBub25jZQ==");
    assert.equal(seen.headers.upgrade, "websocket");
    assert.equal(seen.headers["x-custom"], "kept");
    assert.equal(seen.headers.host, `127.0.0.1:${upstreamPort}`, "Host names the upstream");
    assert.equal(seen.headers.authorization, undefined, "Authorization is not forwarded");
    assert.equal(seen.headers["proxy-authorization"], undefined, "Proxy-Authorization is not forwarded");
    assert.equal(seen.headers.cookie, undefined, "Cookie is not forwarded");
    client.socket.destroy();
  });

  it("uses the client's query alone when the target has none, and no '?' when neither has one", async () => {
    const before = upstreamRequests.length;
    const withQuery = connect("/stream/exec/tok?command=ls");
    await withQuery.waitFor((b) => headEnd(b) >= 0, "the 101 head");
    const without = connect("/stream/exec/tok");
    await without.waitFor((b) => headEnd(b) >= 0, "the 101 head");
    assert.deepEqual(upstreamRequests.slice(before).map((r) => r.url), ["/echo/session-1?command=ls", "/echo/session-1"]);
    withQuery.socket.destroy();
    without.socket.destroy();
  });

  it("relays an upstream 404 with its body and closes the connection", async () => {
    target = `http://127.0.0.1:${upstreamPort}/expired/session-3`;
    const client = connect("/stream/exec/tok");
    await client.closed;
    const all = client.received();
    assert.match(headOf(all), /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(headOf(all), /\r\nContent-Type: application\/json/i);
    assert.match(headOf(all), /\r\nX-Upstream: expired/i);
    assert.equal(bodyOf(all).toString(), '{"kind":"Status","message":"session expired"}');
  });

  it("relays a chunked upstream refusal as its decoded body", async () => {
    target = `http://127.0.0.1:${upstreamPort}/chunked`;
    const client = connect("/stream/exec/tok");
    await client.closed;
    const all = client.received();
    assert.match(headOf(all), /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.doesNotMatch(headOf(all), /transfer-encoding/i, "the body is no longer chunked, so the header must go");
    assert.equal(bodyOf(all).toString(), "no no!!!");
  });

  it("answers 502 unavailable when the upstream is unreachable", async () => {
    target = `http://127.0.0.1:${deadPort}/echo/x`;
    const client = connect("/stream/exec/tok");
    await client.closed;
    const all = client.received();
    assert.match(headOf(all), /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.match(headOf(all), /content-type: application\/json/i);
    const body = JSON.parse(bodyOf(all).toString()) as { code: string; message: string };
    assert.equal(body.code, "unavailable");
    assert.match(body.message, /ECONNREFUSED/);
    assert.match(body.message, new RegExp(`127\\.0\\.0\\.1:${deadPort}`), "the message names the upstream");
  });

  it("answers 504 when the upstream accepts but never answers within handshakeMs", async () => {
    target = `http://127.0.0.1:${upstreamPort}/silent`;
    handshakeMs = 200;
    const before = upstreamRequests.length;
    const started = Date.now();
    const client = connect("/stream/exec/tok");
    await client.closed;
    const elapsed = Date.now() - started;
    const all = client.received();
    assert.match(headOf(all), /^HTTP\/1\.1 504 Gateway Timeout\r\n/);
    assert.equal((JSON.parse(bodyOf(all).toString()) as { code: string }).code, "deadline_exceeded");
    assert.ok(elapsed >= 190 && elapsed < 5000, `answered after ${elapsed} ms`);
    // The proxy also gave up its upstream request.
    const silent = upstreamRequests[before];
    assert.ok(silent !== undefined);
    if (!silent.socket.destroyed) await once(silent.socket, "close");
  });

  it("closes the upstream connection when the client leaves mid-handshake", async () => {
    target = `http://127.0.0.1:${upstreamPort}/silent`;
    handshakeMs = 10_000;
    const before = upstreamRequests.length;
    const client = connect("/stream/exec/tok");
    const deadline = Date.now() + 5000;
    while (upstreamRequests.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const silent = upstreamRequests[before];
    assert.ok(silent !== undefined, "the upstream got the request");
    const upstreamClosed = once(silent.socket, "close").then(() => "closed");
    const started = Date.now();
    // destroy() sends a FIN; the gateway's HTTP/1 sockets allow half-open
    // connections (as http.Server's do), so only 'end' tells the client left.
    client.socket.destroy();
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<string>((resolve) => (timer = setTimeout(resolve, 3000, "still open")));
    const outcome = await Promise.race([upstreamClosed, giveUp]);
    clearTimeout(timer);
    assert.equal(outcome, "closed", `the upstream request was still open ${Date.now() - started} ms after the client left`);
  });

  it("closes the upstream connection when the client closes a spliced session", async () => {
    const before = upstreamRequests.length;
    const client = connect("/stream/exec/tok");
    await client.waitFor((b) => headEnd(b) >= 0, "the 101 head");
    const spliced = upstreamRequests[before];
    assert.ok(spliced !== undefined);
    const upstreamClosed = once(spliced.socket, "close");
    client.socket.destroy();
    await upstreamClosed;
  });

  it("closes the client connection when the upstream closes a spliced session", async () => {
    const before = upstreamRequests.length;
    const client = connect("/stream/exec/tok");
    await client.waitFor((b) => headEnd(b) >= 0, "the 101 head");
    upstreamRequests[before]?.socket.destroy();
    await client.closed;
  });
});
