/**
 * The server side of a SPDY/3.1 connection, as much of it as Kubernetes
 * streaming uses: the client opens streams (SYN_STREAM, named by headers),
 * the server accepts each (SYN_REPLY), and both send data frames with FIN at
 * the end. PINGs are answered; SETTINGS, WINDOW_UPDATE and HEADERS are read
 * and ignored (spdystream, which kubectl, crictl and the kubelet use, does
 * not do SPDY flow control either); RST_STREAM ends a stream.
 * Frame layout: draft-mbelshe-httpbis-spdy-00, section 2.2.
 */
import type { Duplex } from "node:stream";
import { createHeaderBlockReader, createHeaderBlockWriter } from "./header-block.js";

const frameHeaderBytes = 8;
const spdyVersion = 3;
const typeSynStream = 1;
const typeSynReply = 2;
const typeRstStream = 3;
const typePing = 6;
const typeGoaway = 7;
const flagFin = 0x01;
/** Largest data frame sent; bigger writes are split. */
const maxDataFrameBytes = 16 * 1024;
/** Largest frame accepted from the client. */
const maxFrameBytes = 1024 * 1024;

/** A stream the client opened. */
export interface SpdyStream {
  readonly id: number;
  /** Its SYN_STREAM headers, lower-case names. */
  readonly headers: ReadonlyMap<string, string>;
  /** Send data on it. */
  write(data: Uint8Array | string): void;
  /** Send FIN: the gateway will not write more. */
  end(): void;
  /** Data from the client; set before data arrives. */
  onData?: (data: Buffer) => void;
  /** The client sent FIN or reset the stream. */
  onEnd?: () => void;
}

/** What to do with the connection. */
export interface SpdyConnection {
  /** End the connection after what was written (GOAWAY, then FIN). */
  end(): void;
}

/**
 * Speak SPDY/3.1 as the server on `socket` (already switched protocols).
 * `onStream` sees every stream the client opens, after it was accepted;
 * `onClose` runs once when the connection is gone. A protocol error closes
 * the connection.
 */
export function serveSpdy(
  socket: Duplex,
  { onStream, onClose }: { onStream: (stream: SpdyStream) => void; onClose: () => void },
): SpdyConnection {
  const headerReader = createHeaderBlockReader();
  const headerWriter = createHeaderBlockWriter();
  const streams = new Map<number, SpdyStream>();
  let pending: Buffer = Buffer.alloc(0);
  let lastStreamId = 0;
  let closed = false;

  const control = (type: number, flags: number, payload: Buffer) => {
    const head = Buffer.alloc(frameHeaderBytes);
    head.writeUInt16BE(0x8000 | spdyVersion, 0);
    head.writeUInt16BE(type, 2);
    head[4] = flags;
    head.writeUIntBE(payload.length, 5, 3);
    if (!socket.destroyed) socket.write(Buffer.concat([head, payload]));
  };
  const data = (id: number, flags: number, bytes: Uint8Array) => {
    const head = Buffer.alloc(frameHeaderBytes);
    head.writeUInt32BE(id & 0x7fffffff, 0);
    head[4] = flags;
    head.writeUIntBE(bytes.length, 5, 3);
    if (!socket.destroyed) socket.write(Buffer.concat([head, bytes]));
  };
  const fail = () => {
    if (closed) return;
    closed = true;
    socket.destroy();
  };

  const openStream = (id: number, headers: Map<string, string>, fin: boolean) => {
    let ended = false;
    const stream: SpdyStream = {
      id,
      headers,
      write(chunk) {
        if (ended) return;
        const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        for (let at = 0; at < bytes.length; at += maxDataFrameBytes) data(id, 0, bytes.subarray(at, at + maxDataFrameBytes));
      },
      end() {
        if (ended) return;
        ended = true;
        data(id, flagFin, Buffer.alloc(0));
      },
    };
    streams.set(id, stream);
    const reply = Buffer.alloc(4);
    reply.writeUInt32BE(id, 0);
    control(typeSynReply, 0, Buffer.concat([reply, headerWriter.write(new Map())]));
    onStream(stream);
    if (fin) remoteEnd(stream);
  };
  const remoteEnd = (stream: SpdyStream) => {
    streams.delete(stream.id);
    stream.onEnd?.();
  };

  const onFrame = (frame: Buffer) => {
    const isControl = (frame[0] as number) & 0x80;
    const flags = frame[4] as number;
    const payload = frame.subarray(frameHeaderBytes);
    if (!isControl) {
      const stream = streams.get(frame.readUInt32BE(0) & 0x7fffffff);
      if (stream === undefined) return; // data for a stream already ended
      if (payload.length > 0) stream.onData?.(payload);
      if ((flags & flagFin) !== 0) remoteEnd(stream);
      return;
    }
    if ((frame.readUInt16BE(0) & 0x7fff) !== spdyVersion) return fail();
    switch (frame.readUInt16BE(2)) {
      case typeSynStream: {
        if (payload.length < 10) return fail();
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        // Client streams have odd, increasing ids.
        if (id % 2 !== 1 || id <= lastStreamId) return fail();
        lastStreamId = id;
        let headers: Map<string, string>;
        try {
          headers = headerReader.read(payload.subarray(10));
        } catch {
          return fail();
        }
        openStream(id, headers, (flags & flagFin) !== 0);
        return;
      }
      case typeRstStream: {
        const stream = payload.length >= 4 ? streams.get(payload.readUInt32BE(0) & 0x7fffffff) : undefined;
        if (stream !== undefined) remoteEnd(stream);
        return;
      }
      case typePing:
        control(typePing, 0, payload);
        return;
      case typeGoaway:
        socket.end();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE, HEADERS, NOOP: nothing to do.
        return;
    }
  };

  socket.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= frameHeaderBytes) {
      const length = pending.readUIntBE(5, 3);
      if (length > maxFrameBytes) return fail();
      if (pending.length < frameHeaderBytes + length) break;
      const frame = pending.subarray(0, frameHeaderBytes + length);
      pending = pending.subarray(frameHeaderBytes + length);
      onFrame(frame);
      if (closed) return;
    }
  });
  socket.on("error", fail);
  socket.once("close", () => {
    closed = true;
    for (const stream of [...streams.values()]) remoteEnd(stream);
    onClose();
  });

  return {
    end() {
      if (closed) return;
      const goaway = Buffer.alloc(8);
      goaway.writeUInt32BE(lastStreamId, 0);
      control(typeGoaway, 0, goaway);
      socket.end();
    },
  };
}
