/**
 * SPDY/3 header blocks: a count, then length-prefixed names and values,
 * compressed with zlib and the protocol's dictionary, one zlib stream per
 * direction for the whole connection.
 *
 * Reading: the client's blocks continue one zlib stream, each ending in a
 * sync flush. Node has no synchronous API over a long-lived inflate stream,
 * so the whole stream so far is inflated again for each block and the new
 * part of the output kept; a session carries five blocks at most, each a
 * few dozen bytes.
 *
 * Writing: blocks are sent as zlib *stored* (uncompressed) deflate blocks,
 * each followed by the empty stored block a sync flush writes: a valid
 * continuation of one zlib stream for any reader; the headers the gateway
 * sends are tiny, so nothing is lost by not compressing them.
 */
import { constants, inflateSync } from "node:zlib";
import { spdyHeaderDictionary } from "./header-dictionary.js";

/** Decodes the client's header blocks, in order. */
export interface HeaderBlockReader {
  /** The headers (lower-case names; multiple values joined with NUL, as sent) of the next block. */
  read(compressed: Buffer): Map<string, string>;
}

/** A reader for one connection. */
export function createHeaderBlockReader(): HeaderBlockReader {
  let input: Buffer = Buffer.alloc(0);
  let consumed = 0;
  return {
    read(compressed) {
      input = Buffer.concat([input, compressed]);
      const output = inflateSync(input, { dictionary: spdyHeaderDictionary, finishFlush: constants.Z_SYNC_FLUSH });
      const block = output.subarray(consumed);
      consumed = output.length;
      return parseHeaderBlock(block);
    },
  };
}

/** Encodes the gateway's header blocks, in order. */
export interface HeaderBlockWriter {
  write(headers: ReadonlyMap<string, string>): Buffer;
}

/** A writer for one connection. */
export function createHeaderBlockWriter(): HeaderBlockWriter {
  let started = false;
  return {
    write(headers) {
      const raw = serializeHeaderBlock(headers);
      const parts: Buffer[] = [];
      if (!started) {
        started = true;
        parts.push(zlibHeaderWithDictionary());
      }
      // Stored blocks hold at most 65535 bytes each.
      for (let at = 0; at < raw.length; at += 0xffff) parts.push(storedBlock(raw.subarray(at, at + 0xffff)));
      // An empty stored block, as zlib's sync flush writes it: readers
      // (Go's flate among them) hand out what they hold only when they see
      // the next block, so without it the block would wait for the next frame.
      parts.push(storedBlock(Buffer.alloc(0)));
      return Buffer.concat(parts);
    },
  };
}

/** A non-final stored deflate block: byte-aligned header, LEN, NLEN, the bytes. */
function storedBlock(bytes: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = 0; // BFINAL 0, BTYPE 00 (stored), padded to the byte
  head.writeUInt16LE(bytes.length, 1);
  head.writeUInt16LE(~bytes.length & 0xffff, 3);
  return Buffer.concat([head, bytes]);
}

/** Parse an uncompressed SPDY/3 header block. Throws on a malformed one. */
export function parseHeaderBlock(block: Buffer): Map<string, string> {
  const headers = new Map<string, string>();
  let at = 0;
  const take = (): string => {
    if (at + 4 > block.length) throw new Error("truncated header block");
    const length = block.readUInt32BE(at);
    at += 4;
    if (at + length > block.length) throw new Error("truncated header block");
    const text = block.toString("latin1", at, at + length);
    at += length;
    return text;
  };
  if (block.length < 4) throw new Error("truncated header block");
  const count = block.readUInt32BE(0);
  at = 4;
  for (let i = 0; i < count; i++) {
    const name = take().toLowerCase();
    headers.set(name, take());
  }
  return headers;
}

/** An uncompressed SPDY/3 header block. */
export function serializeHeaderBlock(headers: ReadonlyMap<string, string>): Buffer {
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0]?.writeUInt32BE(headers.size, 0);
  for (const [name, value] of headers) {
    for (const text of [name.toLowerCase(), value]) {
      const bytes = Buffer.from(text, "latin1");
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length, 0);
      parts.push(length, bytes);
    }
  }
  return Buffer.concat(parts);
}

/** The two-byte zlib header announcing a preset dictionary, and the dictionary's Adler-32. */
function zlibHeaderWithDictionary(): Buffer {
  const cmf = 0x78; // deflate, 32 KiB window
  let flg = 0x20; // FDICT
  flg += (31 - ((cmf * 256 + flg) % 31)) % 31; // FCHECK
  const out = Buffer.alloc(6);
  out[0] = cmf;
  out[1] = flg;
  out.writeUInt32BE(adler32(spdyHeaderDictionary), 2);
  return out;
}

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}
