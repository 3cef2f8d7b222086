import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { classifyPreface, http2Preface, sniffProtocol } from "./sniff.js";
import type { SniffedProtocol } from "./sniff.js";

describe("classifyPreface", () => {
  const cases: [string, Buffer, SniffedProtocol | undefined][] = [
    ["the full preface is h2", http2Preface, "h2"],
    ["the preface followed by a SETTINGS frame is h2", Buffer.concat([http2Preface, Buffer.alloc(9)]), "h2"],
    ["nothing yet is undecided", Buffer.alloc(0), undefined],
    ["half the preface is undecided", http2Preface.subarray(0, 12), undefined],
    ["a GET is h1 from its first octet", Buffer.from("G"), "h1"],
    ["a POST is h1 from its second octet", Buffer.from("PO"), "h1"],
    ["an HTTP/1.1 PRI request is h1", Buffer.from("PRI * HTTP/1.1\r\n"), "h1"],
    ["garbage is h1 (and gets a 400 there)", Buffer.from([0, 1, 2]), "h1"],
  ];
  for (const [name, bytes, expected] of cases) {
    it(name, () => assert.equal(classifyPreface(bytes), expected));
  }
});

describe("sniffProtocol", () => {
  let server: net.Server;
  let port: number;
  const results: ((value: { protocol: SniffedProtocol | undefined; rest: Promise<string> }) => void)[] = [];

  before(async () => {
    server = net.createServer((socket) => {
      const report = results.shift();
      void sniffProtocol(socket, { timeoutMs: 300 }).then((protocol) => {
        // What the next owner of the socket reads: the sniffed bytes come first.
        const rest = new Promise<string>((resolve) => {
          if (!protocol) return resolve("");
          let text = "";
          socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
          socket.on("end", () => resolve(text));
          socket.resume();
        });
        report?.({ protocol, rest });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Connect, send `pieces` with a pause between them, then end (or just wait). */
  async function sniff(pieces: string[], { end = true } = {}) {
    const result = new Promise<{ protocol: SniffedProtocol | undefined; rest: Promise<string> }>((resolve) =>
      results.push(resolve),
    );
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => {});
    socket.setNoDelay(true);
    await new Promise((resolve) => socket.once("connect", resolve));
    for (const piece of pieces) {
      socket.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (end) socket.end();
    const { protocol, rest } = await result;
    const closed = new Promise((resolve) => socket.once("close", resolve));
    return { protocol, rest: await rest, closed };
  }

  it("detects h2 from a preface sent in small pieces and gives every byte back", async () => {
    const preface = http2Preface.toString("latin1");
    const pieces = [preface.slice(0, 3), preface.slice(3, 10), preface.slice(10), "after"];
    const { protocol, rest } = await sniff(pieces);
    assert.equal(protocol, "h2");
    assert.equal(rest, `${preface}after`);
  });

  it("detects h1 and gives every byte back", async () => {
    const { protocol, rest } = await sniff(["P", "OST / HTTP/1.1\r\n\r\n"]);
    assert.equal(protocol, "h1");
    assert.equal(rest, "POST / HTTP/1.1\r\n\r\n");
  });

  it("drops a client that sends nothing and closes", async () => {
    const { protocol, closed } = await sniff([]);
    assert.equal(protocol, undefined);
    await closed;
  });

  it("drops a client that sends half a preface and closes", async () => {
    const { protocol } = await sniff(["PRI * HTTP/2.0\r\n"]);
    assert.equal(protocol, undefined);
  });

  it("drops a client that stays silent past the timeout", async () => {
    const started = Date.now();
    const { protocol, closed } = await sniff(["PRI"], { end: false });
    assert.equal(protocol, undefined);
    await closed;
    assert.ok(Date.now() - started >= 250, "waited for the timeout");
  });
});
