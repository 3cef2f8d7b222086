/**
 * The gRPC and gRPC-Web half of the unary fast path: one uncompressed
 * binary message in, one out, status in trailers (HTTP/2 trailers for gRPC,
 * a trailer frame in the body for gRPC-Web). It runs the same invoker
 * (checks, core, error table) as the stock path; anything else — compressed
 * or JSON-coded messages, gRPC-Web text, gRPC over HTTP/1.1 — is left to
 * stock connect-node by the caller (`index.ts`).
 * Protocols: https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md
 * and https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { type Message, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { DualHandler } from "../http/http2-express.js";
import type { UnaryRoute } from "../services/routes.js";
import { LazyCallContext } from "./lazy-call-context.js";
import { readBody } from "./read-body.js";
import { decodeError, tooLarge, tooLargeReply } from "./unary-errors.js";

/** Which of the two gRPC wire flavours a request uses. */
export type GrpcFlavour = "grpc" | "grpc-web";

const envelopeHeaderBytes = 5;
const flagCompressed = 0b0000_0001;
const flagTrailer = 0b1000_0000;
const headersGrpc = { "content-type": "application/grpc+proto" };
const contentTypeGrpcWeb = "application/grpc-web+proto";
const trailersOk = { "grpc-status": "0" };
const timeoutUnitMs: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** The flavour of a binary gRPC content type, or undefined for anything else. */
export function grpcFlavour(contentType: string | undefined): GrpcFlavour | undefined {
  switch (contentType) {
    case "application/grpc":
    case "application/grpc+proto":
      return "grpc";
    case "application/grpc-web":
    case "application/grpc-web+proto":
      return "grpc-web";
    default:
      return undefined;
  }
}

/** Whether this path can serve the request; false sends it to stock connect-node. */
export function acceptsGrpcUnary(req: Parameters<DualHandler>[0], flavour: GrpcFlavour): boolean {
  // gRPC needs HTTP/2 trailers; the stock handler tells an HTTP/1.1 caller so.
  if (flavour === "grpc" && !("stream" in req)) return false;
  const encoding = req.headers["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") return false;
  const timeout = req.headers["grpc-timeout"];
  return timeout === undefined || /^\d{1,8}[HMSmun]$/.test(timeout as string);
}

/** Serve one gRPC or gRPC-Web unary call that passed {@link acceptsGrpcUnary}. */
export function serveGrpcUnary(
  route: UnaryRoute,
  flavour: GrpcFlavour,
  req: IncomingMessage | Http2ServerRequest,
  res: Parameters<DualHandler>[1],
  readMaxBytes: number,
  writeMaxBytes: number,
): void {
  let responded = false;
  const respond = (err: ConnectError | undefined, payload?: Uint8Array) => {
    if (responded) return;
    responded = true;
    ctx.done();
    const trailers = err === undefined ? trailersOk : statusTrailers(err);
    if (flavour === "grpc") {
      (res as Http2ServerResponse).writeHead(200, headersGrpc);
      (res as Http2ServerResponse).addTrailers(trailers);
      if (payload === undefined) res.end();
      else res.end(envelope(0, payload));
      return;
    }
    const body = grpcWebBody(payload, serializeTrailers(trailers));
    (res as ServerResponse).writeHead(200, {
      "content-type": contentTypeGrpcWeb,
      "content-length": String(body.byteLength),
    });
    res.end(body);
  };
  // The deadline runs from the request's arrival (see connect-unary.ts).
  const timeout = req.headers["grpc-timeout"] as string | undefined;
  const ctx = new LazyCallContext(req, res, timeout === undefined ? undefined : parseGrpcTimeout(timeout), () =>
    respond(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
  );

  readBody(
    req,
    readMaxBytes + envelopeHeaderBytes,
    (body) => {
      if (responded) return;
      const unwrapped = unwrapSingleMessage(body, readMaxBytes);
      if (unwrapped instanceof ConnectError) return respond(unwrapped);
      if (route.forward !== undefined) {
        route.forward(unwrapped, ctx).then(
          (bytes) =>
            bytes.byteLength > writeMaxBytes ? respond(tooLargeReply(bytes.byteLength, writeMaxBytes)) : respond(undefined, bytes),
          (err: unknown) => respond(ConnectError.from(err)),
        );
        return;
      }
      let request: Message;
      try {
        request = fromBinary(route.method.input, unwrapped);
      } catch (err) {
        return respond(decodeError(route, true, err));
      }
      route.invoke(request, ctx).then(
        (reply) => {
          if (responded) return;
          let bytes: Uint8Array;
          try {
            bytes = toBinary(route.method.output, reply);
          } catch (err) {
            return respond(new ConnectError("internal error: cannot encode reply", Code.Internal, undefined, undefined, err));
          }
          if (bytes.byteLength > writeMaxBytes) return respond(tooLargeReply(bytes.byteLength, writeMaxBytes));
          respond(undefined, bytes);
        },
        (err: unknown) => respond(ConnectError.from(err)),
      );
    },
    (size) => respond(tooLarge(Math.max(0, size - envelopeHeaderBytes), readMaxBytes)),
  );
}

/** The one message of a unary request body, or the error that body deserves. */
function unwrapSingleMessage(body: Buffer, readMaxBytes: number): Uint8Array | ConnectError {
  if (body.byteLength < envelopeHeaderBytes) {
    return new ConnectError("protocol error: missing request message", Code.InvalidArgument);
  }
  const flags = body[0] as number;
  const length = body.readUInt32BE(1);
  if ((flags & flagCompressed) !== 0) {
    // The gRPC spec: a compressed flag without a grpc-encoding is INTERNAL.
    return new ConnectError("protocol error: compressed message without grpc-encoding", Code.Internal);
  }
  if (length > readMaxBytes) return tooLarge(length, readMaxBytes);
  if (envelopeHeaderBytes + length !== body.byteLength) {
    return new ConnectError(
      `protocol error: unary request must hold exactly one message (frame of ${length} bytes in a body of ${body.byteLength})`,
      Code.InvalidArgument,
    );
  }
  return body.subarray(envelopeHeaderBytes);
}

/** A gRPC-Web body: the reply frame (if any) and the trailer frame, in one allocation. */
function grpcWebBody(payload: Uint8Array | undefined, trailers: string): Buffer {
  const trailerBytes = Buffer.byteLength(trailers);
  const payloadBytes = payload === undefined ? 0 : envelopeHeaderBytes + payload.byteLength;
  const out = Buffer.allocUnsafe(payloadBytes + envelopeHeaderBytes + trailerBytes);
  if (payload !== undefined) {
    out[0] = 0;
    out.writeUInt32BE(payload.byteLength, 1);
    out.set(payload, envelopeHeaderBytes);
  }
  out[payloadBytes] = flagTrailer;
  out.writeUInt32BE(trailerBytes, payloadBytes + 1);
  out.write(trailers, payloadBytes + envelopeHeaderBytes, "latin1");
  return out;
}

/**
 * `data` framed as one gRPC message. A reply relayed from an upstream
 * (RuntimeCore.forward) is a view just past the upstream's own frame header;
 * when the five bytes in front of it already say "uncompressed, this long",
 * the frame is reused instead of copying the whole message again.
 */
function envelope(flags: number, data: Uint8Array): Buffer {
  if (data.byteOffset >= envelopeHeaderBytes) {
    const framed = Buffer.from(data.buffer, data.byteOffset - envelopeHeaderBytes, data.byteLength + envelopeHeaderBytes);
    if (framed[0] === flags && framed.readUInt32BE(1) === data.byteLength) return framed;
  }
  const out = Buffer.allocUnsafe(envelopeHeaderBytes + data.byteLength);
  out[0] = flags;
  out.writeUInt32BE(data.byteLength, 1);
  out.set(data, envelopeHeaderBytes);
  return out;
}

/** grpc-status, grpc-message (percent-encoded) and any details, as connect-node writes them. */
function statusTrailers(err: ConnectError): Record<string, string> {
  const out: Record<string, string> = {};
  setTrailerStatus(new Headers(), err).forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

function serializeTrailers(trailers: Record<string, string>): string {
  let text = "";
  for (const [key, value] of Object.entries(trailers)) text += `${key}: ${value}\r\n`;
  return text;
}

/** `grpc-timeout` (e.g. "250m", "5S") in milliseconds. */
function parseGrpcTimeout(value: string): number {
  const unit = value.slice(-1);
  return Number(value.slice(0, -1)) * (timeoutUnitMs[unit] as number);
}
