import assert from "node:assert/strict";
import http2 from "node:http2";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import hpack from "hpack.js";
import { createAuthorityRewriter, isValidAuthority } from "./authority-fix.js";
import { serve } from "./serve.js";
import type { Serving } from "./serve-options.js";
import { http2Preface } from "./sniff.js";
import { echoHandler, h2Connect, h2Request, makeTempDir } from "./test-helpers.test.js";
import type { Echo } from "./test-helpers.test.js";

const typeData = 0x0;
const typeHeaders = 0x1;
const typeSettings = 0x4;
const typeWindowUpdate = 0x8;
const typeContinuation = 0x9;
const endStream = 0x1;
const endHeaders = 0x4;
const padded = 0x8;
const priority = 0x20;

type Field = [name: string, value: string];

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** A header block as a client sends it: HEADERS, then CONTINUATION frames of at most 16384 octets. */
function headerFrames(streamId: number, flags: number, block: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < block.length || at === 0; at += 16384) {
    const last = at + 16384 >= block.length;
    const type = at === 0 ? typeHeaders : typeContinuation;
    frames.push(frame(type, (at === 0 ? flags : 0) | (last ? endHeaders : 0), streamId, block.subarray(at, at + 16384)));
  }
  return frames;
}

/** A client-side HPACK encoder like a real client's: Huffman and incremental indexing. */
function createClientEncoder() {
  const compressor = hpack.compressor.create({ table: { maxSize: 4096 } });
  return (fields: Field[]): Buffer => {
    compressor.write(fields.map(([name, value]) => ({ name, value })));
    return compressor.read() ?? Buffer.alloc(0);
  };
}

/** What nghttp2 would see: frames, and header blocks decoded with a table that follows the bytes it gets. */
function readAsServer(bytes: Buffer) {
  assert.deepEqual(bytes.subarray(0, 24), http2Preface, "output starts with the preface");
  const decompressor = hpack.decompressor.create({ table: { maxSize: 4096 } });
  const frames: { type: number; flags: number; streamId: number; payload: Buffer; raw: Buffer }[] = [];
  const blocks: { streamId: number; flags: number; priority?: Buffer; fields: Field[] }[] = [];
  let pending: { streamId: number; flags: number; priority?: Buffer; fragments: Buffer[] } | undefined;
  for (let at = 24; at < bytes.length; ) {
    const length = bytes.readUIntBE(at, 3);
    const f = {
      type: bytes[at + 3] as number,
      flags: bytes[at + 4] as number,
      streamId: bytes.readUInt32BE(at + 5) & 0x7fffffff,
      payload: bytes.subarray(at + 9, at + 9 + length),
      raw: bytes.subarray(at, at + 9 + length),
    };
    assert.equal(f.raw.length, 9 + length, "no truncated frame");
    frames.push(f);
    at += 9 + length;
    if (f.type === typeHeaders) {
      assert.equal(pending, undefined);
      let start = 0;
      let pad = 0;
      if (f.flags & padded) {
        pad = f.payload[0] as number;
        start = 1;
      }
      const prio = f.flags & priority ? f.payload.subarray(start, start + 5) : undefined;
      if (prio) start += 5;
      pending = { streamId: f.streamId, flags: f.flags, fragments: [f.payload.subarray(start, f.payload.length - pad)], ...(prio ? { priority: prio } : {}) };
    } else if (f.type === typeContinuation) {
      assert.ok(pending && pending.streamId === f.streamId, "CONTINUATION follows its HEADERS");
      pending.fragments.push(f.payload);
    } else {
      assert.equal(pending, undefined, "no frame inside a header block");
      continue;
    }
    if (f.flags & endHeaders) {
      decompressor.write(Buffer.concat(pending.fragments));
      decompressor.execute();
      const fields: Field[] = [];
      for (let h = decompressor.read(); h; h = decompressor.read()) fields.push([h.name, h.value]);
      blocks.push({ streamId: pending.streamId, flags: pending.flags, fields, ...(pending.priority ? { priority: pending.priority } : {}) });
      pending = undefined;
    }
  }
  return { frames, blocks };
}

/** Feed `input` in pieces of `size` octets and return all output. */
function rewriteInPieces(input: Buffer, size: number): { output: Buffer; pieces: Buffer[] } {
  const rewriter = createAuthorityRewriter();
  const pieces: Buffer[] = [];
  for (let at = 0; at < input.length; at += size) pieces.push(...rewriter.push(input.subarray(at, at + size)));
  return { output: Buffer.concat(pieces), pieces };
}

const settings = frame(typeSettings, 0, 0, Buffer.from([0x00, 0x03, 0x00, 0x00, 0x00, 0x64]));
const windowUpdate = frame(typeWindowUpdate, 0, 0, Buffer.from([0x00, 0x01, 0x00, 0x00]));
const request = (authority: string, extra: Field[] = []): Field[] => [
  [":method", "POST"],
  [":scheme", "http"],
  [":path", "/runtime.v1.RuntimeService/Version"],
  [":authority", authority],
  ["content-type", "application/grpc"],
  ["te", "trailers"],
  ...extra,
];
const socketPathAuthority = "/run/containerd/containerd.sock";
const pieceSizes = [1, 3, 9, 10, 100, 1 << 20];

describe("isValidAuthority", () => {
  const cases: [string, string, boolean][] = [
    ["a host name", "localhost", true],
    ["a host and port", "localhost:50051", true],
    ["an IPv4 address and port", "127.0.0.1:80", true],
    ["a bracketed IPv6 address", "[::1]:8080", true],
    ["a socket path", "/run/x.sock", false],
    ["a unix URL", "unix:///run/x.sock", false],
    ["a relative unix URL", "unix:/run/x.sock", false],
    ["an empty value", "", false],
    ["user info", "user@host", false],
    ["a space", "local host", false],
  ];
  for (const [name, value, valid] of cases) {
    it(`${valid ? "accepts" : "rejects"} ${name}`, () => assert.equal(isValidAuthority(value), valid));
  }
});

describe("createAuthorityRewriter", () => {
  it("passes a connection with valid authorities through byte for byte, however it is split", () => {
    const encode = createClientEncoder();
    const input = Buffer.concat([
      http2Preface,
      settings,
      frame(typeHeaders, endHeaders, 1, encode(request("localhost"))),
      frame(typeData, endStream, 1, Buffer.from("hello")),
      frame(typeHeaders, endHeaders | endStream, 3, encode(request("localhost"))),
    ]);
    for (const size of pieceSizes) {
      assert.deepEqual(rewriteInPieces(input, size).output, input, `pieces of ${size}`);
    }
  });

  it("rewrites a socket-path :authority and leaves every other frame as it was", () => {
    const encode = createClientEncoder();
    const data = frame(typeData, endStream, 1, Buffer.from("payload"));
    const input = Buffer.concat([
      http2Preface,
      settings,
      windowUpdate,
      frame(typeHeaders, endHeaders, 1, encode(request(socketPathAuthority))),
      data,
    ]);
    for (const size of pieceSizes) {
      const { frames, blocks } = readAsServer(rewriteInPieces(input, size).output);
      assert.deepEqual(frames.map((f) => f.type), [typeSettings, typeWindowUpdate, typeHeaders, typeData]);
      assert.deepEqual(frames[0]?.raw, settings);
      assert.deepEqual(frames[1]?.raw, windowUpdate);
      assert.deepEqual(frames[3]?.raw, data);
      assert.deepEqual(blocks[0]?.fields, request("localhost"), `pieces of ${size}`);
      assert.equal(blocks[0]?.flags, endHeaders);
    }
  });

  it("drops padding, keeps priority and END_STREAM on a rewritten HEADERS frame", () => {
    const encode = createClientEncoder();
    const block = encode(request("unix:///run/x.sock"));
    const prio = Buffer.from([0x80, 0x00, 0x00, 0x00, 0x0f]); // exclusive, depends on 0, weight 16
    const payload = Buffer.concat([Buffer.from([7]), prio, block, Buffer.alloc(7)]);
    const input = Buffer.concat([http2Preface, frame(typeHeaders, padded | priority | endHeaders | endStream, 5, payload)]);
    for (const size of pieceSizes) {
      const { blocks } = readAsServer(rewriteInPieces(input, size).output);
      assert.equal(blocks.length, 1);
      assert.equal(blocks[0]?.streamId, 5);
      assert.equal(blocks[0]?.flags, priority | endHeaders | endStream);
      assert.deepEqual(blocks[0]?.priority, prio);
      assert.deepEqual(blocks[0]?.fields, request("localhost"));
    }
  });

  it("joins a header block continued in CONTINUATION frames", () => {
    const encode = createClientEncoder();
    const block = encode(request("", [["x-request-id", "abc"]]));
    const cut1 = Math.floor(block.length / 3);
    const cut2 = Math.floor((2 * block.length) / 3);
    const input = Buffer.concat([
      http2Preface,
      frame(typeHeaders, 0, 1, block.subarray(0, cut1)),
      frame(typeContinuation, 0, 1, block.subarray(cut1, cut2)),
      frame(typeContinuation, endHeaders, 1, block.subarray(cut2)),
      frame(typeData, endStream, 1, Buffer.from("x")),
    ]);
    for (const size of pieceSizes) {
      const { frames, blocks } = readAsServer(rewriteInPieces(input, size).output);
      assert.deepEqual(blocks[0]?.fields, request("localhost", [["x-request-id", "abc"]]));
      assert.equal(frames.at(-1)?.type, typeData);
    }
  });

  it("splits a re-encoded block larger than 16384 octets into HEADERS and CONTINUATION", () => {
    const encode = createClientEncoder();
    // Huffman codes "a" in 5 bits, so our literal block is 1.6 times the client's.
    const big: Field[] = [0, 1, 2].map((i): Field => [`x-big-${i}`, "a".repeat(12_000)]);
    const block = encode(request(socketPathAuthority, big));
    assert.ok(block.length > 16384 && block.length < 32768, `client block of ${block.length} octets`);
    const prio = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10]);
    const input = Buffer.concat([
      http2Preface,
      frame(typeHeaders, priority | endStream, 1, Buffer.concat([prio, block.subarray(0, 16000)])),
      frame(typeContinuation, endHeaders, 1, block.subarray(16000)),
    ]);
    for (const size of [4096, 1 << 20]) {
      const { frames, blocks } = readAsServer(rewriteInPieces(input, size).output);
      assert.deepEqual(frames.map((f) => f.type), [typeHeaders, typeContinuation, typeContinuation]);
      for (const f of frames) assert.ok(f.payload.length <= 16384, `frame of ${f.payload.length} octets`);
      assert.equal(frames[0]?.flags, priority | endStream);
      assert.equal(frames[1]?.flags, 0);
      assert.equal(frames[2]?.flags, endHeaders);
      assert.deepEqual(blocks[0]?.priority, prio);
      assert.deepEqual(blocks[0]?.fields, request("localhost", big));
    }
  });

  it("follows the client's dynamic table into a second request made of indexed fields", () => {
    const encode = createClientEncoder();
    const extra: Field[] = [["user-agent", "grpc-go/1.45.0"], ["x-kubelet", "node-1"]];
    const first = encode(request(socketPathAuthority, extra));
    const second = encode(request(socketPathAuthority, extra));
    assert.ok(second.length <= 10, `second block is ${second.length} octets of indexed fields`);
    const input = Buffer.concat([
      http2Preface,
      frame(typeHeaders, endHeaders | endStream, 1, first),
      frame(typeHeaders, endHeaders | endStream, 3, second),
    ]);
    for (const size of pieceSizes) {
      const { blocks } = readAsServer(rewriteInPieces(input, size).output);
      assert.deepEqual(blocks.map((b) => b.streamId), [1, 3]);
      assert.deepEqual(blocks[0]?.fields, request("localhost", extra));
      assert.deepEqual(blocks[1]?.fields, request("localhost", extra));
    }
  });

  it("keeps the server's table in step with untouched blocks, then re-encodes every later block", () => {
    const encode = createClientEncoder();
    const extra: Field[] = [["x-shared", "indexed-by-the-first-request"]];
    const blocks = [request("localhost", extra), request(socketPathAuthority, extra), request("localhost", extra)].map(encode);
    const frames = blocks.map((b, i) => frame(typeHeaders, endHeaders | endStream, 1 + 2 * i, b));
    const input = Buffer.concat([http2Preface, ...frames]);
    const { output } = rewriteInPieces(input, 1 << 20);
    // The first block went through untouched.
    assert.deepEqual(output.subarray(24, 24 + (frames[0]?.length ?? 0)), frames[0]);
    const seen = readAsServer(output).blocks;
    assert.deepEqual(seen[0]?.fields, request("localhost", extra));
    assert.deepEqual(seen[1]?.fields, request("localhost", extra));
    assert.deepEqual(seen[2]?.fields, request("localhost", extra));
  });

  it("passes dynamic table size updates on at the start of a rewritten block", () => {
    const encode = createClientEncoder();
    // Size update to 0 (evicts everything), then back to 4096.
    const updates = Buffer.from([0x20, 0x3f, 0xe1, 0x1f]);
    const block = Buffer.concat([updates, encode(request(socketPathAuthority))]);
    const { frames, blocks } = readAsServer(rewriteInPieces(Buffer.concat([http2Preface, frame(typeHeaders, endHeaders, 1, block)]), 7).output);
    assert.deepEqual(frames[0]?.payload.subarray(0, 4), updates);
    assert.deepEqual(blocks[0]?.fields, request("localhost"));
  });

  it("forwards DATA payloads as slices of the incoming chunk, without copying", () => {
    const encode = createClientEncoder();
    const body = Buffer.alloc(100_000, 7);
    const head = Buffer.concat([http2Preface, frame(typeHeaders, endHeaders, 1, encode(request(socketPathAuthority)))]);
    const rewriter = createAuthorityRewriter();
    rewriter.push(head);
    const chunk = Buffer.concat([frame(typeData, 0, 1, body.subarray(0, 16384)), frame(typeData, endStream, 1, body.subarray(16384, 32768))]);
    const out = rewriter.push(chunk);
    assert.equal(out.length, 1, "consecutive pass-through frames leave as one slice");
    assert.equal(out[0]?.buffer, chunk.buffer);
    assert.deepEqual(out[0], chunk);
  });

  it("stops rewriting and passes everything on when the framing breaks before any rewrite", () => {
    const encode = createClientEncoder();
    const input = Buffer.concat([
      http2Preface,
      frame(typeContinuation, endHeaders, 1, encode(request("localhost"))),
      frame(typeHeaders, endHeaders, 3, encode(request(socketPathAuthority))),
    ]);
    for (const size of pieceSizes) {
      assert.deepEqual(rewriteInPieces(input, size).output, input, `pieces of ${size}`);
    }
  });

  it("passes a header block interrupted by another frame on unchanged before any rewrite", () => {
    const encode = createClientEncoder();
    const block = encode(request("localhost"));
    const input = Buffer.concat([
      http2Preface,
      frame(typeHeaders, 0, 1, block.subarray(0, 5)),
      frame(typeData, 0, 1, Buffer.from("x")),
      frame(typeContinuation, endHeaders, 1, block.subarray(5)),
    ]);
    for (const size of pieceSizes) {
      assert.deepEqual(rewriteInPieces(input, size).output, input, `pieces of ${size}`);
    }
  });

  it("throws when the framing breaks after a rewrite, so the connection is dropped", () => {
    const encode = createClientEncoder();
    const rewriter = createAuthorityRewriter();
    rewriter.push(Buffer.concat([http2Preface, frame(typeHeaders, endHeaders, 1, encode(request(socketPathAuthority)))]));
    assert.throws(() => rewriter.push(frame(typeContinuation, endHeaders, 1, encode(request("localhost")))), /unexpected CONTINUATION/);
  });

  it("passes an oversized header block on for nghttp2 to refuse before any rewrite, and throws after one", () => {
    // 150 fields of 1000 octets decode to ~155 kB, over twice Node's 65535 limit.
    const huge: Field[] = Array.from({ length: 150 }, (_, i): Field => [`x-h-${i}`, "a".repeat(1000)]);
    const before = createClientEncoder();
    const untouched = Buffer.concat([http2Preface, ...headerFrames(1, endStream, before(request(socketPathAuthority, huge)))]);
    assert.deepEqual(rewriteInPieces(untouched, 1 << 20).output, untouched);

    const encode = createClientEncoder();
    const rewriter = createAuthorityRewriter();
    rewriter.push(Buffer.concat([http2Preface, frame(typeHeaders, endHeaders, 1, encode(request(socketPathAuthority)))]));
    const oversized = Buffer.concat(headerFrames(3, endStream, encode(request(socketPathAuthority, huge))));
    assert.throws(() => rewriter.push(oversized), /larger than the server accepts/);
  });

  it("throws on an undecodable header block after a rewrite", () => {
    const encode = createClientEncoder();
    const rewriter = createAuthorityRewriter();
    rewriter.push(Buffer.concat([http2Preface, frame(typeHeaders, endHeaders, 1, encode(request(socketPathAuthority)))]));
    // 0xff 0xff 0x7f: an indexed field far past the end of the table.
    assert.throws(() => rewriter.push(frame(typeHeaders, endHeaders, 3, Buffer.from([0xff, 0xff, 0x7f]))), /invalid HPACK/);
  });
});

describe(":authority fix over a real unix socket", () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let serving: Serving;
  let socketPath: string;

  before(async () => {
    temp = await makeTempDir();
    socketPath = join(temp.dir, "cri.sock");
    serving = await serve({ handler: echoHandler, socket: { path: socketPath }, logger: { debug() {}, warn() {} } });
  });
  after(async () => {
    await serving.close({ graceMs: 1000 });
    await temp.remove();
  });

  it("documents the bug: a plain Node HTTP/2 server resets a stream whose :authority is the socket path", async () => {
    const plainPath = join(temp.dir, "plain.sock");
    let called = false;
    const plain = http2.createServer(() => {
      called = true;
    });
    await new Promise<void>((resolve) => plain.listen(plainPath, resolve));
    const session = await h2Connect({ socketPath: plainPath });
    try {
      const reply = await h2Request(session, { ":authority": plainPath });
      assert.equal(reply.rstCode, http2.constants.NGHTTP2_PROTOCOL_ERROR);
      assert.equal(reply.status, 0);
      assert.equal(called, false, "the handler never saw the request");
    } finally {
      session.destroy();
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  const authorities: [string, string, string][] = [
    ["the socket path", "<path>", "localhost"],
    ["a unix:// URL", "unix://<path>", "localhost"],
    ["an empty value", "", "localhost"],
    ["localhost, unchanged", "localhost", "localhost"],
    ["a host and port, unchanged", "cri-gateway:1234", "cri-gateway:1234"],
  ];
  for (const [name, sent, expected] of authorities) {
    it(`answers 200 when :authority is ${name}`, async () => {
      const session = await h2Connect({ socketPath });
      try {
        const reply = await h2Request(session, { ":authority": sent.replace("<path>", socketPath), ":path": "/x" });
        assert.equal(reply.rstCode, 0);
        assert.equal(reply.status, 200);
        assert.equal((JSON.parse(reply.body) as Echo).authority, expected);
      } finally {
        session.close();
      }
    });
  }

  it("rewrites a request large enough for CONTINUATION frames, then one reusing the dynamic table", async () => {
    const session = await h2Connect({ socketPath });
    try {
      const large: Record<string, string> = { ":authority": socketPath };
      for (let i = 0; i < 40; i++) large[`x-large-${i}`] = `${i}-`.padEnd(1000, "v");
      const first = await h2Request(session, large);
      assert.equal(first.status, 200);
      const echo = JSON.parse(first.body) as Echo;
      assert.equal(echo.authority, "localhost");
      for (let i = 0; i < 40; i++) assert.equal(echo.headers[`x-large-${i}`], large[`x-large-${i}`]);

      const small = { ":authority": socketPath, "x-trace": "t-1", "user-agent": "grpc-go/1.45.0" };
      for (let round = 0; round < 3; round++) {
        const reply = await h2Request(session, small);
        assert.equal(reply.status, 200, `round ${round}`);
        const seen = JSON.parse(reply.body) as Echo;
        assert.equal(seen.authority, "localhost");
        assert.equal(seen.headers["x-trace"], "t-1");
        assert.equal(seen.headers["user-agent"], "grpc-go/1.45.0");
      }
    } finally {
      session.close();
    }
  });
});
