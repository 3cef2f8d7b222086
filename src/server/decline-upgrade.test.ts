/**
 * Declining an upgrade offer: the replayed request head loses the offer and
 * nothing else, and a real HTTP server given the socket back answers the
 * request (body and a following keep-alive request included) over HTTP/1.1.
 */
import assert from "node:assert/strict";
import http, { type IncomingMessage } from "node:http";
import net, { type AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { declineUpgrade, headWithoutUpgrade, whenResponsesDone } from "./decline-upgrade.js";

/** Just what headWithoutUpgrade reads from a request. */
function fakeRequest(method: string, url: string, rawHeaders: string[], httpVersion = "1.1"): IncomingMessage {
  return { method, url, httpVersion, rawHeaders } as unknown as IncomingMessage;
}

describe("headWithoutUpgrade", () => {
  it("drops Upgrade and HTTP2-Settings and their Connection tokens, keeping everything else in order", () => {
    const head = headWithoutUpgrade(
      fakeRequest("GET", "/healthz?x=1", [
        "Host", "127.0.0.1:7070",
        "User-Agent", "curl/8.5.0",
        "Accept", "*/*",
        "Connection", "Upgrade, HTTP2-Settings",
        "Upgrade", "h2c",
        "HTTP2-Settings", "AAMAAABkAAQAoAAAAAIAAAAA",
      ]),
    );
    assert.equal(head, "GET /healthz?x=1 HTTP/1.1\r\nHost: 127.0.0.1:7070\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n");
  });

  it("keeps the other Connection tokens, whatever their case and spacing", () => {
    const head = headWithoutUpgrade(
      fakeRequest("POST", "/x", ["host", "localhost", "connection", "keep-alive ,UPGRADE,  http2-settings , TE", "UPGRADE", "h2c"]),
    );
    assert.equal(head, "POST /x HTTP/1.1\r\nhost: localhost\r\nconnection: keep-alive, TE\r\n\r\n");
  });

  it("keeps duplicate headers and the header names' spelling", () => {
    const head = headWithoutUpgrade(
      fakeRequest("GET", "/", [
        "X-Trace", "a",
        "Upgrade", "websocket",
        "x-trace", "b",
        "Cookie", "k=v",
        "Connection", "upgrade",
        "Content-Length", "0",
      ]),
    );
    assert.equal(head, "GET / HTTP/1.1\r\nX-Trace: a\r\nx-trace: b\r\nCookie: k=v\r\nContent-Length: 0\r\n\r\n");
  });

  it("writes the request's own HTTP version", () => {
    assert.equal(headWithoutUpgrade(fakeRequest("GET", "/", ["Host", "h"], "1.0")), "GET / HTTP/1.0\r\nHost: h\r\n\r\n");
  });
});

describe("declineUpgrade on a real HTTP server", () => {
  let server: http.Server;
  let port: number;
  const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        const reply = JSON.stringify({ url: req.url, body, upgrade: req.headers.upgrade ?? null });
        res.setHeader("content-type", "application/json");
        // "/slow" answers a little later, so a pipelined request arrives while its response is open.
        if (req.url === "/slow") setTimeout(() => res.end(reply), 100);
        else res.end(reply);
      });
    });
    server.on("upgrade", (req: IncomingMessage, socket: net.Socket, head: Buffer) => {
      whenResponsesDone(socket, () => declineUpgrade(req, socket, head, (again) => server.emit("connection", again)));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Write `text` on one connection and collect everything until the server has answered `responses` times, then close. */
  function exchange(text: string, responses: number, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1");
      let received = "";
      const timer = setTimeout(() => socket.destroy(new Error(`no full answer within ${timeoutMs} ms: ${JSON.stringify(received)}`)), timeoutMs);
      socket.on("close", () => clearTimeout(timer));
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString("latin1");
        const bodies = received.split("\r\n\r\n").length - 1;
        // Each answer is one head plus a JSON body ending in "}".
        if (bodies >= responses && received.endsWith("}")) socket.end();
      });
      socket.on("error", reject);
      socket.on("close", () => resolve(received));
      socket.write(text);
    });
  }

  it("serves an h2c upgrade offer with a body as a plain HTTP/1.1 request, then a keep-alive request on the same connection", async () => {
    seen.length = 0;
    const body = '{"hello":"world"}';
    const first =
      `POST /first HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n` +
      `HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const second = `GET /second HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
    const received = await exchange(first + second, 2);
    const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    assert.deepEqual(statuses, ["200", "200"], received);
    assert.ok(!/101 Switching/.test(received), "no protocol switch");
    assert.deepEqual(
      seen.map((s) => [s.method, s.url, s.body, s.headers.upgrade, s.headers["http2-settings"], s.headers.connection]),
      [
        ["POST", "/first", body, undefined, undefined, undefined],
        ["GET", "/second", "", undefined, undefined, undefined],
      ],
    );
    assert.equal(seen[0]?.headers["content-type"], "application/json", "other headers pass");
  });

  // Node's HTTP server queues a pipelined request's response behind the
  // open one in the connection's state; a declined offer starts a new state
  // on the same socket, so it must wait for the open response
  // (whenResponsesDone) or that queue is never drained.

  it("answers pipelined requests that each carry an upgrade offer", async () => {
    const one = (i: number) => `GET /p${i} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`;
    const received = await exchange(one(0) + one(1) + one(2), 3, 1500);
    assert.deepEqual([...received.matchAll(/"url":"(\/p\d)"/g)].map((m) => m[1]), ["/p0", "/p1", "/p2"], received);
  });

  it("answers an upgrade offer pipelined behind a request whose response is still open", async () => {
    const slow = `GET /slow HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
    const offer = `GET /after HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`;
    const received = await exchange(slow + offer, 2, 1500);
    assert.deepEqual([...received.matchAll(/"url":"(\/\w+)"/g)].map((m) => m[1]), ["/slow", "/after"], received);
  });
});
