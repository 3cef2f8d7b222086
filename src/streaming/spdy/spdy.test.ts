import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { constants, createDeflate, inflateSync } from "node:zlib";
import {
  createHeaderBlockReader,
  createHeaderBlockWriter,
  parseHeaderBlock,
  serializeHeaderBlock,
} from "./header-block.js";
import { spdyHeaderDictionary } from "./header-dictionary.js";
import { type SpdyStream, serveSpdy } from "./spdy-connection.js";

/** Header blocks as a peer's zlib writes them: one deflate stream, a sync flush after each block. */
async function peerBlocks(blocks: Map<string, string>[]): Promise<Buffer[]> {
  const deflate = createDeflate({ dictionary: spdyHeaderDictionary, level: 9 });
  const out: Buffer[] = [];
  for (const block of blocks) {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    deflate.on("data", onData);
    deflate.write(serializeHeaderBlock(block));
    await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    deflate.off("data", onData);
    out.push(Buffer.concat(chunks));
  }
  deflate.close();
  return out;
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8003, 0);
  head.writeUInt16BE(type, 2);
  head[4] = flags;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

function dataFrame(id: number, flags: number, bytes: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(id, 0);
  head[4] = flags;
  head.writeUIntBE(bytes.length, 5, 3);
  return Buffer.concat([head, bytes]);
}

function synStream(id: number, block: Buffer, flags = 0): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(id, 0);
  return controlFrame(1, flags, Buffer.concat([fixed, block]));
}

/** Split what the server wrote into frames. */
function framesOf(bytes: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at + 8 <= bytes.length; ) {
    const length = bytes.readUIntBE(at + 5, 3);
    frames.push(bytes.subarray(at, at + 8 + length));
    at += 8 + length;
  }
  return frames;
}

describe("SPDY header blocks", () => {
  it("serializes and parses a block, lower-casing names", () => {
    const block = serializeHeaderBlock(new Map([["streamType", "stdout"], ["x", ""]]));
    assert.deepEqual([...parseHeaderBlock(block)], [["streamtype", "stdout"], ["x", ""]]);
  });

  it("rejects a truncated block", () => {
    assert.throws(() => parseHeaderBlock(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9, 97])), /truncated/);
  });

  it("reads a peer's blocks, which continue one zlib stream", async () => {
    const blocks = [new Map([["streamtype", "error"]]), new Map([["streamtype", "stdout"], ["port", "80"]]), new Map()];
    const reader = createHeaderBlockReader();
    for (const [i, compressed] of (await peerBlocks(blocks)).entries()) {
      assert.deepEqual([...reader.read(compressed)], [...(blocks[i] as Map<string, string>)]);
    }
  });

  it("writes blocks any zlib reader can take as one stream, block by block", () => {
    const writer = createHeaderBlockWriter();
    const blocks = [new Map([["a", "1"]]), new Map(), new Map([["b", "x".repeat(70_000)]])];
    let stream = Buffer.alloc(0);
    let seen = 0;
    for (const block of blocks) {
      stream = Buffer.concat([stream, writer.write(block)]);
      // Each block must be readable before the next one exists.
      const output = inflateSync(stream, { dictionary: spdyHeaderDictionary, finishFlush: constants.Z_SYNC_FLUSH });
      assert.deepEqual([...parseHeaderBlock(output.subarray(seen))], [...block]);
      seen = output.length;
    }
  });
});

describe("serveSpdy", () => {
  const setup = () => {
    const client = new PassThrough();
    const written: Buffer[] = [];
    const socket = new PassThrough();
    // What the server writes goes to `written`; what the test writes to `client` reaches the server.
    const duplex = Object.assign(socket, {
      write: (chunk: Buffer) => (written.push(Buffer.from(chunk)), true),
    });
    client.on("data", (c: Buffer) => duplex.emit("data", c));
    const streams: SpdyStream[] = [];
    let closed = false;
    const connection = serveSpdy(duplex, { onStream: (s) => streams.push(s), onClose: () => (closed = true) });
    return { client, written, streams, connection, socket: duplex, isClosed: () => closed };
  };

  it("accepts client streams with a reply, carries data both ways, and FIN", async () => {
    const { client, written, streams } = setup();
    const [block] = await peerBlocks([new Map([["streamtype", "stdin"]])]);
    const received: string[] = [];
    let ended = false;
    client.write(synStream(1, block as Buffer));
    assert.equal(streams.length, 1);
    const stream = streams[0] as SpdyStream;
    assert.equal(stream.headers.get("streamtype"), "stdin");
    stream.onData = (d) => received.push(d.toString());
    stream.onEnd = () => (ended = true);
    client.write(dataFrame(1, 0, Buffer.from("hel")));
    client.write(dataFrame(1, 1, Buffer.from("lo")));
    assert.deepEqual(received, ["hel", "lo"]);
    assert.ok(ended);
    stream.write("back");
    stream.end();
    const frames = framesOf(Buffer.concat(written));
    assert.equal(frames[0]?.readUInt16BE(2), 2, "SYN_REPLY first");
    assert.equal(frames[0]?.readUInt32BE(8), 1);
    assert.equal(frames[1]?.subarray(8).toString(), "back");
    assert.equal(frames[2]?.[4], 1, "FIN");
  });

  it("answers PING with the same id", () => {
    const { client, written } = setup();
    client.write(controlFrame(6, 0, Buffer.from([0, 0, 0, 7])));
    const frames = framesOf(Buffer.concat(written));
    assert.equal(frames[0]?.readUInt16BE(2), 6);
    assert.equal(frames[0]?.readUInt32BE(8), 7);
  });

  it("ends a stream the client resets", async () => {
    const { client, streams } = setup();
    const [block] = await peerBlocks([new Map([["streamtype", "stdin"]])]);
    client.write(synStream(1, block as Buffer));
    let ended = false;
    (streams[0] as SpdyStream).onEnd = () => (ended = true);
    client.write(controlFrame(3, 0, Buffer.from([0, 0, 0, 1, 0, 0, 0, 5])));
    assert.ok(ended);
  });

  it("drops the connection on a protocol error: even stream ids, another version, a huge frame", async () => {
    for (const bad of [
      synStream(2, Buffer.alloc(0)),
      Buffer.concat([Buffer.from([0x80, 0x02, 0, 1, 0, 0, 0, 0])]),
      Buffer.from([0, 0, 0, 1, 0, 0x7f, 0xff, 0xff]),
    ]) {
      const { client, socket } = setup();
      client.write(bad);
      assert.ok(socket.destroyed, bad.toString("hex"));
    }
  });
});
