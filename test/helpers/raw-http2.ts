/**
 * A raw HTTP/2 client for requests no generated client would send: broken
 * protobuf in a gRPC frame, hand-set `grpc-timeout`, odd paths. Works over
 * TCP and over the unix socket (where the `:authority` is just a name).
 */
import http2 from "node:http2";
import net from "node:net";

/** Where to send: a TCP base URL, or a unix socket. */
export interface RawTarget {
  readonly url: string;
  readonly socketPath?: string;
}

/** Everything the server sent back. */
export interface RawResponse {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  /** HTTP/2 trailers (gRPC puts grpc-status here); empty when none came. */
  readonly trailers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * Send one request on a fresh HTTP/2 session and close it afterwards.
 * Rejects on a stream or session error, or after `timeoutMs` (default 10 s).
 */
export function h2Request(
  target: RawTarget,
  headers: http2.OutgoingHttpHeaders,
  body?: Uint8Array,
  { timeoutMs = 10_000 }: { timeoutMs?: number } = {},
): Promise<RawResponse> {
  const session =
    target.socketPath === undefined
      ? http2.connect(target.url)
      : http2.connect("http://localhost", { createConnection: () => net.connect(target.socketPath as string) });
  return new Promise<RawResponse>((resolve, reject) => {
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no response within ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      session.destroy();
      reject(err);
    };
    session.on("error", fail);
    const stream = session.request({ ":method": "POST", ...headers });
    let status = 0;
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      responseHeaders = h;
    });
    stream.on("trailers", (t) => {
      trailers = t;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", fail);
    stream.on("end", () => {
      clearTimeout(timer);
      session.close();
      resolve({ status, headers: responseHeaders, trailers, body: Buffer.concat(chunks) });
    });
    stream.end(body === undefined ? undefined : Buffer.from(body));
  });
}

/** Wrap `payload` in one uncompressed gRPC / gRPC-Web message envelope. */
export function grpcEnvelope(payload: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + payload.byteLength);
  frame.writeUInt32BE(payload.byteLength, 1);
  frame.set(payload, 5);
  return frame;
}

/** The status and message of a gRPC-Web response, read from its trailer frame (flag 0x80). */
export function grpcWebTrailers(body: Buffer): Record<string, string> {
  let at = 0;
  while (at + 5 <= body.length) {
    const flags = body.readUInt8(at);
    const length = body.readUInt32BE(at + 1);
    const payload = body.subarray(at + 5, at + 5 + length);
    at += 5 + length;
    if ((flags & 0x80) === 0) continue;
    const out: Record<string, string> = {};
    for (const line of payload.toString("utf8").split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return out;
  }
  return {};
}
