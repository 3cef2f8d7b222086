/**
 * The Connect half of the unary fast path: a Connect unary POST with a JSON
 * or binary body and no compression. It reads the body, decodes it with the
 * method's schema, runs the same invoker (checks, core, error table) as the
 * stock path, and writes the reply — nothing else. The caller (`index.ts`)
 * sends everything else to stock connect-node.
 * Protocol: https://connectrpc.com/docs/protocol/#unary-request
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { type Message, fromBinary, fromJsonString, toBinary, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import type { DualHandler } from "../http/http2-express.js";
import type { UnaryRoute } from "../services/routes.js";
import { LazyCallContext } from "./lazy-call-context.js";
import { readBody } from "./read-body.js";
import { decodeError, tooLarge, tooLargeReply } from "./unary-errors.js";

// Unknown fields are an error: a typo in a field name must not be silently
// ignored on a runtime API (Connect's own default ignores them).
const jsonRead = { ignoreUnknownFields: false } as const;
const contentTypeJson = "application/json";
const contentTypeProto = "application/proto";

/** How a Connect unary body is coded. */
export type ConnectBodyFormat = "json" | "binary";

/** The body format of a content type, or undefined for content types this path leaves alone. */
export function connectBodyFormat(contentType: string | undefined): ConnectBodyFormat | undefined {
  if (contentType === "application/json" || contentType === "application/json; charset=utf-8") return "json";
  if (contentType === "application/proto") return "binary";
  return undefined;
}

/**
 * Whether this path can serve the request; false sends it to stock
 * connect-node (compression, malformed timeouts and GET are left to it).
 */
export function acceptsConnectUnary(req: Parameters<DualHandler>[0]): boolean {
  const encoding = req.headers["content-encoding"];
  if (encoding !== undefined && encoding !== "identity") return false;
  const timeout = req.headers["connect-timeout-ms"];
  return timeout === undefined || /^\d{1,10}$/.test(timeout as string);
}

/** Serve one Connect unary call. The request must have passed {@link acceptsConnectUnary}. */
export function serveConnectUnary(
  route: UnaryRoute,
  format: ConnectBodyFormat,
  req: IncomingMessage | Http2ServerRequest,
  res: Parameters<DualHandler>[1],
  readMaxBytes: number,
  writeMaxBytes: number,
): void {
  const binary = format === "binary";
  const isH1 = !("stream" in req);
  let responded = false;
  const send = (status: number, contentType: string, body: Uint8Array, close = false) => {
    if (responded) return;
    responded = true;
    ctx.done();
    const head: Record<string, string> = { "content-type": contentType, "content-length": String(body.byteLength) };
    // HTTP/1.1 cannot abandon one request body; close rather than read it all.
    if (close && isH1) head.connection = "close";
    (res as ServerResponse).writeHead(status, head);
    res.end(body);
  };
  const fail = (err: ConnectError, close = false) => {
    send(codeToHttpStatus(err.code), contentTypeJson, errorToJsonBytes(err, undefined), close);
  };
  // The deadline runs from the request's arrival, so a slow upload cannot
  // stretch it; when it passes, the client is answered at once and the core
  // sees an aborted signal.
  const timeout = req.headers["connect-timeout-ms"] as string | undefined;
  const ctx = new LazyCallContext(req, res, timeout === undefined ? undefined : Number(timeout), () =>
    fail(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
  );

  readBody(
    req,
    readMaxBytes,
    (body) => {
      if (responded) return;
      if (binary && route.forward !== undefined) {
        route.forward(body, ctx).then(
          (bytes) => {
            if (responded) return;
            if (bytes.byteLength > writeMaxBytes) return fail(tooLargeReply(bytes.byteLength, writeMaxBytes));
            send(200, contentTypeProto, bytes);
          },
          (err: unknown) => fail(ConnectError.from(err)),
        );
        return;
      }
      let request: Message;
      try {
        request = binary
          ? fromBinary(route.method.input, body)
          : fromJsonString(route.method.input, body.toString("utf8"), jsonRead);
      } catch (err) {
        return fail(decodeError(route, binary, err));
      }
      route.invoke(request, ctx).then(
        (reply) => {
          if (responded) return;
          let bytes: Uint8Array;
          try {
            bytes = binary ? toBinary(route.method.output, reply) : Buffer.from(toJsonString(route.method.output, reply));
          } catch (err) {
            return fail(new ConnectError("internal error: cannot encode reply", Code.Internal, undefined, undefined, err));
          }
          if (bytes.byteLength > writeMaxBytes) return fail(tooLargeReply(bytes.byteLength, writeMaxBytes));
          send(200, binary ? contentTypeProto : contentTypeJson, bytes);
        },
        (err: unknown) => fail(ConnectError.from(err)),
      );
    },
    (size) => fail(tooLarge(size, readMaxBytes), true),
  );
}
