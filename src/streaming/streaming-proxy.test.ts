/**
 * The streaming proxy for cores that do not serve streams: Exec, Attach and
 * PortForward URLs are swapped for single-use gateway URLs, and connecting
 * to one proxies to the runtime's URL (here a real upstream on 127.0.0.1);
 * used, expired and wrong-kind tokens get 404.
 */
import assert from "node:assert/strict";
import http, { type IncomingMessage } from "node:http";
import net, { type AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createCallContext } from "../core/call-context.js";
import { CoreError } from "../core/core-error.js";
import type { RuntimeCore } from "../core/runtime-core.js";
import { parseStreamRoute } from "./stream-route.js";
import { createStreamingProxy } from "./streaming-proxy.js";
import { createUpgradeRouter } from "./upgrade-router.js";

/** A core whose streaming verbs answer `urls[kind]`; everything else is a marker. */
function fakeCore(urls: { exec: string; attach: string; portforward: string }): RuntimeCore {
  return {
    exec: async () => ({ url: urls.exec }),
    attach: async () => ({ url: urls.attach }),
    portForward: async () => ({ url: urls.portforward }),
    version: async () => ({ version: "fake" }),
  } as unknown as RuntimeCore;
}

const ctx = createCallContext();
const call = (core: RuntimeCore, verb: "exec" | "attach" | "portForward") =>
  (core[verb] as (req: never, c: typeof ctx) => Promise<{ url: string }>)({} as never, ctx);

describe("createStreamingProxy: URL rewriting", () => {
  it("answers gateway URLs carrying a token of the right kind, reading the gateway URL per call", async () => {
    let base = "http://127.0.0.1:1111";
    const proxy = createStreamingProxy({ gatewayUrl: () => base });
    const core = proxy.wrap(fakeCore({ exec: "http://127.0.0.1:9/e", attach: "http://127.0.0.1:9/a", portforward: "http://127.0.0.1:9/p" }));
    const exec = (await call(core, "exec")).url;
    base = "http://127.0.0.1:2222/";
    const attach = (await call(core, "attach")).url;
    const portForward = (await call(core, "portForward")).url;
    assert.match(exec, /^http:\/\/127\.0\.0\.1:1111\/stream\/exec\/[A-Za-z0-9_-]{22}$/);
    assert.match(attach, /^http:\/\/127\.0\.0\.1:2222\/stream\/attach\/[A-Za-z0-9_-]{22}$/);
    assert.match(portForward, /^http:\/\/127\.0\.0\.1:2222\/stream\/portforward\/[A-Za-z0-9_-]{22}$/);
    assert.equal(new Set([exec, attach, portForward].map((u) => parseStreamRoute(new URL(u).pathname)?.token)).size, 3);
  });

  it("returns the runtime's own URL when the gateway has no TCP listener", async () => {
    const proxy = createStreamingProxy({ gatewayUrl: () => "" });
    const core = proxy.wrap(fakeCore({ exec: "http://127.0.0.1:9/e", attach: "http://127.0.0.1:9/a", portforward: "http://127.0.0.1:9/p" }));
    assert.equal((await call(core, "exec")).url, "http://127.0.0.1:9/e");
    assert.equal((await call(core, "portForward")).url, "http://127.0.0.1:9/p");
  });

  it("leaves the core's other methods alone", async () => {
    const proxy = createStreamingProxy({ gatewayUrl: () => "http://localhost" });
    const core = proxy.wrap(fakeCore({ exec: "http://x/", attach: "http://x/", portforward: "http://x/" }));
    assert.deepEqual(await (core.version as unknown as () => Promise<unknown>)(), { version: "fake" });
  });

  const badUrls: [string, string, RegExp][] = [
    ["a relative URL", "/exec/abc", /not absolute/],
    ["a unix URL", "unix:///run/x.sock", /scheme unix:/],
    ["a ws URL", "ws://127.0.0.1:1/x", /scheme ws:/],
  ];
  for (const [name, url, message] of badUrls) {
    it(`fails with unavailable when the runtime answers ${name}`, async () => {
      const proxy = createStreamingProxy({ gatewayUrl: () => "http://localhost" });
      const core = proxy.wrap(fakeCore({ exec: url, attach: url, portforward: url }));
      await assert.rejects(call(core, "exec"), (err: unknown) => err instanceof CoreError && err.kind === "unavailable" && message.test(err.message));
    });
  }

  it("fails with resource_exhausted once maxPending tokens wait", async () => {
    const proxy = createStreamingProxy({ gatewayUrl: () => "http://localhost", maxPending: 2 });
    const core = proxy.wrap(fakeCore({ exec: "http://127.0.0.1:9/e", attach: "http://127.0.0.1:9/a", portforward: "http://127.0.0.1:9/p" }));
    await call(core, "exec");
    await call(core, "attach");
    await assert.rejects(call(core, "portForward"), (err: unknown) => err instanceof CoreError && err.kind === "resource_exhausted");
  });
});

describe("createStreamingProxy: serving the URLs", () => {
  let upstream: http.Server;
  let front: http.Server;
  let upstreamPort: number;
  let frontPort: number;
  const upstreamUrls: string[] = [];
  const upstreamSockets = new Set<net.Socket>();
  let clock = 0;
  let core: RuntimeCore;

  before(async () => {
    upstream = http.createServer();
    upstream.on("upgrade", (req: IncomingMessage, socket: net.Socket) => {
      upstreamUrls.push(req.url ?? "");
      upstreamSockets.add(socket);
      socket.on("error", () => socket.destroy());
      socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    upstreamPort = (upstream.address() as AddressInfo).port;

    const proxy = createStreamingProxy({ gatewayUrl: () => `http://127.0.0.1:${frontPort}`, ttlMs: 1000, now: () => clock });
    const base = `http://127.0.0.1:${upstreamPort}`;
    core = proxy.wrap(fakeCore({ exec: `${base}/exec/up-1?cmd=ls`, attach: `${base}/attach/up-2`, portforward: `${base}/portforward/up-3` }));
    const route = createUpgradeRouter(proxy.server);
    front = http.createServer((_req, res) => res.end());
    front.on("upgrade", (req: IncomingMessage, socket: net.Socket, head: Buffer) => {
      if (!route(req, socket, head)) socket.destroy();
    });
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    frontPort = (front.address() as AddressInfo).port;
  });
  after(async () => {
    for (const socket of upstreamSockets) socket.destroy();
    for (const server of [front, upstream]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  /** Upgrade to `path` on the front server and send `payload` once switched; resolves with status, head and what came back. */
  function connect(path: string, payload = "ping"): Promise<{ status: number; rest: string }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(frontPort, "127.0.0.1");
      let received = "";
      let sent = false;
      socket.setTimeout(5000, () => socket.destroy(new Error(`no answer within 5 s: ${JSON.stringify(received)}`)));
      socket.on("error", reject);
      const finish = () => {
        const split = received.indexOf("\r\n\r\n");
        resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0), rest: received.slice(split + 4) });
      };
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString("latin1");
        const split = received.indexOf("\r\n\r\n");
        if (split < 0) return;
        if (received.startsWith("HTTP/1.1 101") && !sent) {
          sent = true;
          socket.write(payload);
        }
        if (sent && received.slice(split + 4) === payload) {
          finish();
          socket.destroy();
        }
      });
      socket.on("close", () => finish());
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${frontPort}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      );
    });
  }

  it("proxies a fresh URL to the runtime's, with the client's query appended, exactly once", async () => {
    const path = new URL((await call(core, "exec")).url).pathname;
    const first = await connect(`${path}?tty=1`);
    assert.equal(first.status, 101);
    assert.equal(first.rest, "ping", "bytes flow through to the upstream and back");
    assert.equal(upstreamUrls.at(-1), "/exec/up-1?cmd=ls&tty=1");
    const second = await connect(path);
    assert.equal(second.status, 404);
    assert.equal((JSON.parse(second.rest) as { code: string }).code, "not_found");
  });

  it("refuses a token under another kind's path, and an expired one", async () => {
    const attach = new URL((await call(core, "attach")).url).pathname;
    const wrongKind = await connect(attach.replace("/attach/", "/exec/"));
    assert.equal(wrongKind.status, 404);

    const portForward = new URL((await call(core, "portForward")).url).pathname;
    clock += 1000;
    const expired = await connect(portForward);
    assert.equal(expired.status, 404);
    assert.equal((JSON.parse(expired.rest) as { code: string }).code, "not_found");
  });
});
