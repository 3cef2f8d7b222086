import assert from "node:assert/strict";
import net from "node:net";
import { describe, it } from "node:test";
import { createCleartextServers } from "./cleartext-servers.js";
import type { Http1TimeoutOptions } from "./cleartext-servers.js";
import { createConnectionTracker } from "./connection-tracker.js";
import type { RequestHandler } from "./serve-options.js";
import { echoHandler } from "./test-helpers.test.js";

const quiet = { debug() {}, warn() {} };

/** A loopback listener feeding `createCleartextServers` the way serve() does. */
async function withCleartextListener(
  http1Timeouts: Http1TimeoutOptions,
  run: (port: number) => Promise<void>,
  handler: RequestHandler = echoHandler,
) {
  const tracker = createConnectionTracker();
  const servers = createCleartextServers({ handler, tracker, logger: quiet, fixAuthority: false, http1Timeouts });
  const listener = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => servers.accept(socket));
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  try {
    const address = listener.address();
    assert.ok(address !== null && typeof address === "object");
    await run(address.port);
  } finally {
    const stopped = new Promise((resolve) => listener.close(resolve));
    await tracker.drain(0);
    await stopped;
    servers.close();
  }
}

/** Send `bytes` and keep the connection open; resolves with what the server wrote before closing, or "open" after `waitMs`. */
function sendAndWait(port: number, bytes: string, waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes));
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("open");
    }, waitMs);
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

describe("cleartext HTTP/1.1 server", () => {
  it("applies headersTimeout to a client that never finishes its headers", async () => {
    await withCleartextListener({ headersTimeout: 200, requestTimeout: 400, connectionsCheckingInterval: 50 }, async (port) => {
      const started = Date.now();
      const reply = await sendAndWait(port, "GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ", 3000);
      assert.match(reply, /^HTTP\/1\.1 408/, `got ${JSON.stringify(reply)}`);
      assert.ok(Date.now() - started < 2000, `closed after ${Date.now() - started} ms`);
    });
  });

  it("applies requestTimeout to a client that never finishes its body", async () => {
    // The handler waits for the whole body, as the Connect adapter does.
    const readsBody: RequestHandler = (req, res) => {
      req.resume();
      req.on("end", () => echoHandler(req, res));
    };
    const timeouts = { headersTimeout: 200, requestTimeout: 400, connectionsCheckingInterval: 50 };
    await withCleartextListener(timeouts, async (port) => {
      const started = Date.now();
      const request = "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\npartial";
      const reply = await sendAndWait(port, request, 3000);
      assert.match(reply, /^HTTP\/1\.1 408/, `got ${JSON.stringify(reply)}`);
      assert.ok(Date.now() - started < 2000, `closed after ${Date.now() - started} ms`);
    }, readsBody);
  });

  it("keeps Node's default timeouts when none are given", async () => {
    await withCleartextListener({}, async (port) => {
      // Nothing is cut off within a short wait: the defaults are 60 s and 300 s.
      assert.equal(await sendAndWait(port, "GET / HTTP/1.1\r\nHost: localhost\r\n", 300), "open");
    });
  });
});
