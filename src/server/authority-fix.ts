/**
 * The `:authority` fix for HTTP/2 over unix sockets. Many gRPC clients
 * (grpc-go before ~1.5x as used by kubelet and crictl, grpc-java, newer
 * grpc-python) send the socket path as `:authority` ("/run/x.sock",
 * "unix:///run/x.sock"), and Node's nghttp2 resets such streams with
 * PROTOCOL_ERROR before JavaScript ever sees them. This module sits between
 * the raw socket and the HTTP/2 session and rewrites those values to
 * "localhost" inside the client's HEADERS frames.
 *
 * How: every client header block is decoded with a mirror of the client's
 * HPACK dynamic table (that is the only way to know what an indexed field
 * means). While no block needed a change, blocks go through byte for byte,
 * so nghttp2's table stays identical to the client's. The first block that
 * needs a change is re-encoded with literals only, which leaves nghttp2's
 * table behind for good; from then on every block of that connection is
 * re-encoded the same way (nghttp2 never needs its table again). All other
 * frames are forwarded as slices of the chunks they arrived in, and DATA
 * payloads are never looked at. Server-to-client bytes are not touched.
 */
import { Duplex } from "node:stream";
import {
  createHeaderBlockDecoder,
  defaultHeaderTableSize,
  defaultMaxHeaderListSize,
  encodeHeaderBlock,
} from "./header-block.js";
import { http2Preface } from "./sniff.js";

// Frame types and flags, RFC 9113 §6.
const frameTypeHeaders = 0x1;
const frameTypeContinuation = 0x9;
const flagEndStream = 0x1;
const flagEndHeaders = 0x4;
const flagPadded = 0x8;
const flagPriority = 0x20;
const frameHeaderSize = 9;
const prioritySize = 5;
// 16384 is the smallest SETTINGS_MAX_FRAME_SIZE a peer may advertise
// (RFC 9113 §6.5.2), so frames of this size are always acceptable.
const maxWrittenFramePayload = 16384;

// nghttp2's allowed :authority characters (lib/nghttp2_http.c,
// VALID_AUTHORITY_CHARS, which excludes '@'). An empty value is rejected too.
const validAuthority = /^[A-Za-z0-9!$%&'()*+,\-.:;=[\]_~]+$/;

/**
 * True when nghttp2 accepts `value` as `:authority`: not empty, and only
 * characters allowed in host[:port] (no "/", no "@", no spaces). Values such
 * as "/run/x.sock", "unix:///run/x.sock" and "" are invalid.
 */
export function isValidAuthority(value: string): boolean {
  return validAuthority.test(value);
}

/** Options shared by {@link createAuthorityRewriter} and {@link createAuthorityFixStream}. */
export interface AuthorityFixOptions {
  /** What an invalid `:authority` becomes. Default "localhost". */
  replacement?: string;
  /** The SETTINGS_HEADER_TABLE_SIZE the HTTP/2 server advertises. Default 4096 (Node's default). */
  headerTableSize?: number;
  /**
   * The server's SETTINGS_MAX_HEADER_LIST_SIZE. Default 65535 (Node's
   * default). A block decoding to more than twice this (or twice 65535) is
   * not rewritten: before any rewrite it is passed on for nghttp2 to refuse;
   * after one, the connection is dropped.
   */
  maxHeaderListSize?: number;
}

/** Turns the client→server byte stream of one HTTP/2 connection into the fixed one. */
export interface AuthorityRewriter {
  /**
   * Feed the next bytes from the client (starting with the 24-byte preface).
   * Returns the bytes to hand to the server, in order; they may be slices of
   * `chunk`. Throws when the connection cannot be continued safely (a
   * malformed or oversized header block after a rewrite); the caller must
   * then destroy the connection.
   */
  push(chunk: Buffer): Buffer[];
}

interface PendingBlock {
  streamId: number;
  /** Flags of the HEADERS frame that opened the block. */
  flags: number;
  priority: Buffer | undefined;
  fragments: Buffer[];
  size: number;
  /** The frames as received, for forwarding unchanged. */
  raw: Buffer[];
}

/**
 * Create the frame-level rewriter for one connection. Most callers want
 * {@link createAuthorityFixStream}, which wraps a socket with it.
 *
 * If the client breaks the framing rules (a CONTINUATION out of place, bad
 * padding, undecodable HPACK) before any block was rewritten, the rewriter
 * stops looking and passes everything on, so nghttp2 answers with its usual
 * GOAWAY. After a rewrite it throws instead, because nghttp2 could no longer
 * decode the client's raw blocks correctly.
 */
export function createAuthorityRewriter({
  replacement = "localhost",
  headerTableSize = defaultHeaderTableSize,
  maxHeaderListSize = defaultMaxHeaderListSize,
}: AuthorityFixOptions = {}): AuthorityRewriter {
  // Node enforces at least its default list size whatever the setting says,
  // and counts like we do; twice that keeps us from ever refusing what Node
  // would take, while a few bytes of indexed fields still cannot make us
  // build megabytes.
  const maxListSize = 2 * Math.max(maxHeaderListSize, defaultMaxHeaderListSize);
  const decoder = createHeaderBlockDecoder({ tableSize: headerTableSize, maxListSize });
  // Encoded blocks can be larger than the decoded list (Huffman codes take
  // up to 30 bits per octet); anything past this is not a real client.
  const maxBlockBytes = 2 * maxListSize;
  let prefaceLeft = http2Preface.length;
  let passthrough = false;
  let reencoding = false;
  // A frame header split across chunks.
  const head = Buffer.alloc(frameHeaderSize);
  let headLength = 0;
  // Payload octets of the current pass-through frame still to come.
  let passLeft = 0;
  // A HEADERS/CONTINUATION frame being assembled from several chunks.
  let collecting: { frame: Buffer; filled: number } | undefined;
  let pending: PendingBlock | undefined;

  /** Give up on rewriting: forward what we hold and pass everything after it. */
  function giveUp(out: Buffer[], reason: string, held: Buffer[]): void {
    if (reencoding) throw new Error(`cannot continue the :authority fix: ${reason}`);
    if (pending) out.push(...pending.raw);
    out.push(...held);
    pending = undefined;
    passthrough = true;
  }

  function onHeaderFrame(out: Buffer[], frame: Buffer): void {
    const type = frame[3] as number;
    const flags = frame[4] as number;
    const streamId = frame.readUInt32BE(5) & 0x7fffffff;
    const payload = frame.subarray(frameHeaderSize);
    let block: PendingBlock;
    if (type === frameTypeHeaders) {
      if (pending) return giveUp(out, "HEADERS frame inside an unfinished header block", [frame]);
      let start = 0;
      let padLength = 0;
      if (flags & flagPadded) {
        if (payload.length < 1) return giveUp(out, "HEADERS frame too short for its padding", [frame]);
        padLength = payload[0] as number;
        start = 1;
      }
      let priority: Buffer | undefined;
      if (flags & flagPriority) {
        if (payload.length < start + prioritySize) return giveUp(out, "HEADERS frame too short for its priority", [frame]);
        priority = payload.subarray(start, start + prioritySize);
        start += prioritySize;
      }
      if (padLength > payload.length - start) return giveUp(out, "HEADERS padding exceeds the payload", [frame]);
      const fragment = payload.subarray(start, payload.length - padLength);
      block = { streamId, flags, priority, fragments: [fragment], size: fragment.length, raw: [frame] };
    } else {
      if (!pending || pending.streamId !== streamId) return giveUp(out, "unexpected CONTINUATION frame", [frame]);
      block = pending;
      block.fragments.push(payload);
      block.size += payload.length;
      block.raw.push(frame);
      if (block.size > maxBlockBytes) return giveUp(out, "header block too large", []);
    }
    if ((flags & flagEndHeaders) === 0) {
      pending = block;
      return;
    }
    pending = undefined;
    onHeaderBlock(out, block);
  }

  function onHeaderBlock(out: Buffer[], block: PendingBlock): void {
    const data = block.fragments.length === 1 ? (block.fragments[0] as Buffer) : Buffer.concat(block.fragments, block.size);
    let decoded;
    try {
      decoded = decoder.decode(data);
    } catch (err: unknown) {
      pending = block; // so giveUp forwards its frames
      return giveUp(out, err instanceof Error ? err.message : String(err), []);
    }
    const { fields, tableSizeUpdates, oversized } = decoded;
    const authority = fields.findIndex((field) => field.name === ":authority");
    const field = fields[authority];
    const rewrite = field !== undefined && !isValidAuthority(field.value);
    if (!reencoding && !rewrite) {
      // nghttp2's table is still the client's: the original bytes are exact.
      out.push(...block.raw);
      return;
    }
    if (oversized) throw new Error("cannot continue the :authority fix: header list larger than the server accepts");
    if (field && rewrite) fields[authority] = { ...field, value: replacement };
    reencoding = true;
    writeHeaderFrames(out, block, encodeHeaderBlock(fields, tableSizeUpdates));
  }

  function writeHeaderFrames(out: Buffer[], block: PendingBlock, encoded: Buffer): void {
    const priority = block.priority;
    let offset = 0;
    let first = true;
    do {
      const room = maxWrittenFramePayload - (first && priority ? prioritySize : 0);
      const size = Math.min(room, encoded.length - offset);
      const last = offset + size === encoded.length;
      let flags = last ? flagEndHeaders : 0;
      if (first) flags |= block.flags & (flagEndStream | flagPriority);
      const prefix = first && priority ? priority : undefined;
      const payloadLength = (prefix ? prefix.length : 0) + size;
      const frame = Buffer.allocUnsafe(frameHeaderSize + payloadLength);
      frame.writeUIntBE(payloadLength, 0, 3);
      frame[3] = first ? frameTypeHeaders : frameTypeContinuation;
      frame[4] = flags;
      frame.writeUInt32BE(block.streamId, 5);
      let at = frameHeaderSize;
      if (prefix) at += prefix.copy(frame, at);
      encoded.copy(frame, at, offset, offset + size);
      out.push(frame);
      offset += size;
      first = false;
    } while (offset < encoded.length);
  }

  return {
    push(chunk) {
      if (passthrough) return [chunk];
      const out: Buffer[] = [];
      const end = chunk.length;
      let at = 0;
      // chunk[passFrom, at) is known to pass through unchanged.
      let passFrom = 0;
      const flushPass = (to: number) => {
        if (to > passFrom) out.push(chunk.subarray(passFrom, to));
        passFrom = to;
      };
      while (at < end && !passthrough) {
        if (prefaceLeft > 0) {
          const take = Math.min(prefaceLeft, end - at);
          prefaceLeft -= take;
          at += take;
          continue;
        }
        if (passLeft > 0) {
          const take = Math.min(passLeft, end - at);
          passLeft -= take;
          at += take;
          continue;
        }
        if (collecting) {
          const { frame } = collecting;
          const take = Math.min(frame.length - collecting.filled, end - at);
          chunk.copy(frame, collecting.filled, at, at + take);
          collecting.filled += take;
          at += take;
          passFrom = at;
          if (collecting.filled === frame.length) {
            collecting = undefined;
            onHeaderFrame(out, frame);
            passFrom = at;
          }
          continue;
        }
        // A frame header: in this chunk (start >= 0) or assembled in `head`.
        let header: Buffer;
        let start: number;
        if (headLength === 0 && end - at >= frameHeaderSize) {
          header = chunk;
          start = at;
          at += frameHeaderSize;
        } else {
          if (headLength === 0) flushPass(at);
          const take = Math.min(frameHeaderSize - headLength, end - at);
          chunk.copy(head, headLength, at, at + take);
          headLength += take;
          at += take;
          passFrom = at;
          if (headLength < frameHeaderSize) continue;
          header = head;
          start = -1;
        }
        headLength = 0;
        const offset = start >= 0 ? start : 0;
        const length = header.readUIntBE(offset, 3);
        const type = header[offset + 3];
        const isHeaderFrame = type === frameTypeHeaders || type === frameTypeContinuation;
        if (!isHeaderFrame && !pending) {
          if (start < 0) out.push(Buffer.from(head));
          passLeft = length;
          continue;
        }
        // This frame is held back: forward what passed before it.
        if (start >= 0) flushPass(start);
        if (!isHeaderFrame || length > maxBlockBytes) {
          const reason = isHeaderFrame ? "header frame too large" : "header block interrupted by another frame";
          if (start >= 0) {
            giveUp(out, reason, []);
            passFrom = start;
          } else {
            giveUp(out, reason, [Buffer.from(head)]);
            passFrom = at;
          }
          break;
        }
        if (start >= 0 && at + length <= end) {
          const frame = chunk.subarray(start, at + length);
          at += length;
          passFrom = at;
          onHeaderFrame(out, frame);
          passFrom = at;
          continue;
        }
        const frame = Buffer.allocUnsafe(frameHeaderSize + length);
        header.copy(frame, 0, offset, offset + frameHeaderSize);
        collecting = { frame, filled: frameHeaderSize };
        passFrom = at;
        if (length === 0) {
          collecting = undefined;
          onHeaderFrame(out, frame);
        }
      }
      flushPass(end);
      return out;
    },
  };
}

/**
 * Wrap a raw client socket that carries HTTP/2 (prior knowledge) so the
 * server sees fixed `:authority` values. Hand the result to an HTTP/2 server
 * with `h2server.emit("connection", stream)`; Node wraps non-net streams in
 * its JSStreamSocket, so the session works as usual.
 *
 * Use it for unix-socket connections only: over TCP a path-like authority is
 * a client bug worth seeing. Destroying either side destroys both. If the
 * client's header blocks cannot be followed after a rewrite, the stream is
 * destroyed with an Error that names the reason (never a header value).
 */
export function createAuthorityFixStream(socket: Duplex, options: AuthorityFixOptions = {}): Duplex {
  const rewriter = createAuthorityRewriter(options);
  const waitDrain = (callback: () => void) => socket.once("drain", callback);
  const stream = new Duplex({
    // Like the net.Socket an HTTP/2 server normally gets: the end of input ends output.
    allowHalfOpen: false,
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (socket.write(chunk)) callback();
      else waitDrain(() => callback());
    },
    writev(chunks, callback) {
      socket.cork();
      let ready = true;
      for (const { chunk } of chunks) ready = socket.write(chunk as Buffer);
      socket.uncork();
      if (ready) callback();
      else waitDrain(() => callback());
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  socket.on("data", (chunk: Buffer) => {
    let out: Buffer[];
    try {
      out = rewriter.push(chunk);
    } catch (err: unknown) {
      stream.destroy(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    let more = true;
    for (const piece of out) more = stream.push(piece);
    if (!more) socket.pause();
  });
  socket.on("end", () => stream.push(null));
  socket.on("error", (err) => stream.destroy(err));
  socket.on("close", () => stream.destroy());
  return stream;
}
