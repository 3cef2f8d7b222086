/**
 * A unary gRPC call whose request and reply stay encoded: the bytes a
 * binary client sent go upstream as they are, and the runtime's reply bytes
 * come back as they are. Nothing is decoded, so a pass-through costs no
 * protobuf work however large the reply (ListContainers), and fields this
 * gateway's proto does not know survive. It runs on its own HTTP/2
 * connection (upstream-session.ts).
 */
import type { IncomingHttpHeaders, IncomingHttpStatusHeader } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { type CallContext, whenCancelled } from "../../core/call-context.js";
import type { UpstreamSession } from "./upstream-session.js";

/** What one raw call needs besides the bytes. */
export interface RawCallOptions {
  /** The client's call: cancelling it cancels the upstream call. */
  readonly ctx: CallContext;
  /** Deadline sent upstream as grpc-timeout and enforced here. */
  readonly timeoutMs: number | undefined;
  /** Request headers passed upstream (already filtered, lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  /** Largest reply message accepted. */
  readonly readMaxBytes: number;
}

const envelopeHeaderBytes = 5;

/**
 * Call `path` (`/runtime.v1.RuntimeService/ListContainers`) with one encoded
 * message and resolve with the encoded reply. Rejects with a ConnectError
 * carrying the upstream's status when it answers with one, with
 * deadline_exceeded or canceled when the call runs out of time or is
 * aborted, or with the Node error when the connection fails (the caller
 * classifies those, see transport-error.ts).
 */
export async function callRawUnary(
  session: UpstreamSession,
  path: string,
  message: Uint8Array,
  { ctx, timeoutMs, headers, readMaxBytes }: RawCallOptions,
): Promise<Uint8Array> {
  const requestHeaders: Record<string, string> = {
    ...headers,
    ":method": "POST",
    ":path": path,
    "content-type": "application/grpc+proto",
    te: "trailers",
  };
  if (timeoutMs !== undefined) requestHeaders["grpc-timeout"] = `${Math.max(1, Math.ceil(timeoutMs))}m`;
  const opened = session.request(requestHeaders);
  const stream = opened instanceof Promise ? await opened : opened;

  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let responseHeaders: IncomingHttpHeaders | undefined;
    let settled = false;
    let stopWatching = () => {};
    const finish = (err: unknown, reply?: Uint8Array) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stopWatching();
      if (err !== undefined) {
        if (!stream.closed) stream.close(0x8); // NGHTTP2_CANCEL
        reject(err);
      } else {
        resolve(reply as Uint8Array);
      }
    };
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => finish(new ConnectError("the operation timed out", Code.DeadlineExceeded)), timeoutMs);

    // A call cancelled already finishes at once, here.
    stopWatching = whenCancelled(ctx, (reason) => finish(ConnectError.from(reason, Code.Canceled)));
    stream.on("response", (h: IncomingHttpHeaders & IncomingHttpStatusHeader) => {
      responseHeaders = h;
      if (h[":status"] !== 200) {
        finish(new ConnectError(`upstream answered HTTP ${h[":status"]} instead of gRPC`, Code.Unknown));
      }
    });
    stream.on("data", (chunk: Buffer) => {
      received += chunk.byteLength;
      if (received > readMaxBytes + envelopeHeaderBytes) {
        finish(new ConnectError(`upstream reply is larger than ${readMaxBytes} bytes`, Code.ResourceExhausted));
        return;
      }
      chunks.push(chunk);
    });
    let ok = false;
    stream.on("trailers", (trailers: IncomingHttpHeaders) => {
      // Web Headers are only worth building for an error.
      if (trailers["grpc-status"] === "0") ok = true;
      else finish(statusError(trailers));
    });
    stream.on("end", () => {
      if (!ok) {
        // A trailers-only answer carries its status with the response
        // headers. No status at all: the connection went away under the
        // call (the runtime died), which is not the runtime's answer.
        if (responseHeaders?.["grpc-status"] !== undefined) return finish(statusError(responseHeaders));
        return finish(new ConnectError("the call was cut off (the stream ended without a status)", Code.Canceled));
      }
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      try {
        finish(undefined, unwrapReply(body));
      } catch (err) {
        finish(err);
      }
    });
    stream.on("error", (err: Error) => finish(err));
    stream.on("close", () => {
      if (!settled) finish(new ConnectError(`the call was cut off (http/2 stream closed with code ${stream.rstCode})`, Code.Canceled));
    });

    const frame = Buffer.allocUnsafe(envelopeHeaderBytes + message.byteLength);
    frame[0] = 0;
    frame.writeUInt32BE(message.byteLength, 1);
    frame.set(message, envelopeHeaderBytes);
    stream.end(frame);
  });
}

/** The one message of a reply body; throws a ConnectError when the body is not exactly that. */
function unwrapReply(body: Buffer): Uint8Array {
  if (body.byteLength < envelopeHeaderBytes) {
    throw new ConnectError("protocol error: upstream sent no reply message", Code.Internal);
  }
  if ((body[0] as number) !== 0) {
    throw new ConnectError("protocol error: upstream sent a compressed or trailer frame as the reply", Code.Internal);
  }
  const length = body.readUInt32BE(1);
  if (envelopeHeaderBytes + length !== body.byteLength) {
    throw new ConnectError("protocol error: upstream reply is not exactly one message", Code.Internal);
  }
  return body.subarray(envelopeHeaderBytes);
}

/** The error the gRPC status in `raw` stands for (a status 0 here came without a reply). */
function statusError(raw: IncomingHttpHeaders): ConnectError {
  return (
    findTrailerError(toHeaders(raw)) ??
    (raw["grpc-status"] === "0"
      ? new ConnectError("protocol error: a successful status came without a reply", Code.Internal)
      : new ConnectError("protocol error: the upstream trailers have no grpc-status", Code.Internal))
  );
}

function toHeaders(raw: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith(":") || value === undefined) continue;
    out.set(key, Array.isArray(value) ? value.join(", ") : value);
  }
  return out;
}
