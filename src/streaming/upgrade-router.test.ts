/**
 * The upgrade router: paths outside `/stream/` are declined, malformed
 * streaming paths and non-streaming upgrades are answered here, and
 * well-formed ones reach the streaming server with their route.
 */
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import type { StreamingServer } from "../core/runtime-core.js";
import type { StreamRoute } from "./stream-route.js";
import { createUpgradeRouter } from "./upgrade-router.js";

/** A socket stand-in whose written bytes can be read back. */
function fakeSocket(): PassThrough & { written(): string } {
  const socket = new PassThrough() as PassThrough & { written(): string };
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.written = () => Buffer.concat(chunks).toString("latin1");
  return socket;
}

function request(url: string, headers: Record<string, string> = {}): IncomingMessage {
  return { url, headers } as unknown as IncomingMessage;
}

/** A streaming server recording what it was handed. */
function recordingServer(behaviour: "ok" | "throw" = "ok"): StreamingServer & { routes: StreamRoute[] } {
  const routes: StreamRoute[] = [];
  return {
    routes,
    handleUpgrade(route, _request, socket) {
      routes.push(route);
      if (behaviour === "throw") throw new Error("boom");
      socket.end("HTTP/1.1 101 Switching Protocols\r\n\r\n");
    },
  };
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0);
const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)) as { code: string; message: string };

describe("createUpgradeRouter", () => {
  it("declines upgrades outside /stream/ without touching the socket", () => {
    const server = recordingServer();
    const route = createUpgradeRouter(server);
    for (const url of ["/healthz", "/runtime.v1.RuntimeService/Version", "/streaming/exec/x", "/stream"]) {
      const socket = fakeSocket();
      assert.equal(route(request(url, { upgrade: "h2c" }), socket, Buffer.alloc(0)), false, url);
      assert.equal(socket.written(), "");
      assert.ok(!socket.writableEnded);
    }
    assert.deepEqual(server.routes, []);
  });

  it("answers a malformed streaming path with 404 not_found", async () => {
    const server = recordingServer();
    const socket = fakeSocket();
    assert.equal(createUpgradeRouter(server)(request("/stream/shell/abc", { upgrade: "websocket" }), socket, Buffer.alloc(0)), true);
    await new Promise((resolve) => socket.once("end", resolve));
    assert.equal(statusOf(socket.written()), 404);
    assert.equal(bodyOf(socket.written()).code, "not_found");
    assert.deepEqual(server.routes, []);
  });

  it("answers an upgrade to anything but websocket or SPDY under /stream/ with 400, leaving the token alone", async () => {
    const server = recordingServer();
    const socket = fakeSocket();
    assert.equal(createUpgradeRouter(server)(request("/stream/exec/tok", { upgrade: "h2c" }), socket, Buffer.alloc(0)), true);
    await new Promise((resolve) => socket.once("end", resolve));
    assert.equal(statusOf(socket.written()), 400);
    assert.equal(bodyOf(socket.written()).code, "invalid_argument");
    assert.deepEqual(server.routes, [], "the streaming server never saw it");
  });

  it("hands websocket and SPDY upgrades to the streaming server with their route", () => {
    const server = recordingServer();
    const route = createUpgradeRouter(server);
    assert.equal(route(request("/stream/exec/tok1", { upgrade: "websocket" }), fakeSocket(), Buffer.alloc(0)), true);
    assert.equal(route(request("/stream/portforward/tok2?port=80", { upgrade: "SPDY/3.1" }), fakeSocket(), Buffer.alloc(0)), true);
    assert.equal(route(request("/stream/attach/tok3", { upgrade: "WebSocket" }), fakeSocket(), Buffer.alloc(0)), true);
    assert.deepEqual(server.routes, [
      { kind: "exec", token: "tok1" },
      { kind: "portforward", token: "tok2" },
      { kind: "attach", token: "tok3" },
    ]);
  });

  it("answers 500 internal when the streaming server throws", async () => {
    const socket = fakeSocket();
    assert.equal(createUpgradeRouter(recordingServer("throw"))(request("/stream/exec/tok", { upgrade: "websocket" }), socket, Buffer.alloc(0)), true);
    await new Promise((resolve) => socket.once("end", resolve));
    assert.equal(statusOf(socket.written()), 500);
    assert.deepEqual(bodyOf(socket.written()), { code: "internal", message: "internal error" });
  });
});
