/**
 * A fast path for the most common call shape: a Connect unary POST with a
 * JSON or binary body and no compression. Stock connect-node builds a
 * universal request (URL, web Headers, AbortController, async iterables) for
 * every call and spends most of its time there; this path reads the body,
 * decodes it with the method's schema, invokes the same checks, core and
 * error table as the stock path, and writes the reply — nothing else.
 *
 * Anything it does not recognise (GET, compressed bodies, streaming content
 * types, gRPC, gRPC-Web, unknown paths) goes to the stock handler unchanged,
 * so protocol behaviour stays Connect's. Connect protocol:
 * https://connectrpc.com/docs/protocol/#unary-request
 */
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { type Message, fromBinary, fromJsonString, toBinary, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import type { CallContext } from "../core/call-context.js";
import type { DualHandler } from "../http/http2-express.js";
import type { UnaryRoute } from "../services/routes.js";

/** Options for {@link createConnectUnaryHandler}. */
export interface ConnectUnaryOptions {
  /** Unary methods by request path. */
  unary: ReadonlyMap<string, UnaryRoute>;
  /** Where every other request goes (the stock connect-node adapter). */
  fallback: DualHandler;
  /** Largest request body accepted, in bytes. */
  readMaxBytes: number;
  /** Largest response body written, in bytes. */
  writeMaxBytes: number;
}

// protobuf-es JSON options. Unknown fields are an error: a typo in a field
// name must not be silently ignored on a runtime API.
const jsonRead = { ignoreUnknownFields: false } as const;
const contentTypeJson = "application/json";
const contentTypeProto = "application/proto";
const headersJson = { "content-type": contentTypeJson };
const headersProto = { "content-type": contentTypeProto };

/** Wrap `fallback` with the Connect unary fast path. */
export function createConnectUnaryHandler({
  unary,
  fallback,
  readMaxBytes,
  writeMaxBytes,
}: ConnectUnaryOptions): DualHandler {
  return function connectUnaryHandler(req, res) {
    if (req.method !== "POST") return fallback(req, res);
    const url = req.url ?? "";
    const route = unary.get(url);
    if (route === undefined) return fallback(req, res);
    const headers = req.headers;
    const binary = bodyFormat(headers["content-type"]);
    if (binary === undefined) return fallback(req, res);
    const encoding = headers["content-encoding"];
    if (encoding !== undefined && encoding !== "identity") return fallback(req, res);
    const timeout = headers["connect-timeout-ms"];
    // Malformed timeouts get Connect's own error from the stock path.
    if (timeout !== undefined && !/^\d{1,10}$/.test(timeout as string)) return fallback(req, res);

    const nodeReq = req as IncomingMessage | Http2ServerRequest;
    const isH1 = !("stream" in nodeReq);
    let responded = false;
    const send = (status: number, head: Record<string, string>, body: Uint8Array, close = false) => {
      if (responded) return;
      responded = true;
      const out: Record<string, string> = { ...head, "content-length": String(body.byteLength) };
      // HTTP/1.1 cannot abandon one request body; close rather than read it all.
      if (close && isH1) out.connection = "close";
      (res as import("node:http").ServerResponse).writeHead(status, out);
      res.end(body);
    };
    const fail = (err: ConnectError, close = false) => {
      send(codeToHttpStatus(err.code), headersJson, errorToJsonBytes(err, undefined), close);
    };

    const declared = headers["content-length"];
    if (declared !== undefined && Number(declared) > readMaxBytes) {
      return fail(tooLarge(Number(declared), readMaxBytes), true);
    }

    const chunks: Buffer[] = [];
    let size = 0;
    nodeReq.on("data", (chunk: Buffer) => {
      if (responded) return;
      size += chunk.byteLength;
      if (size > readMaxBytes) {
        fail(tooLarge(size, readMaxBytes), true);
        return;
      }
      chunks.push(chunk);
    });
    nodeReq.on("end", () => {
      if (responded) return;
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      let request: Message;
      try {
        request = binary
          ? fromBinary(route.method.input, body)
          : fromJsonString(route.method.input, body.toString("utf8"), jsonRead);
      } catch (err) {
        return fail(decodeError(route, binary, err));
      }
      const timeoutMs = timeout === undefined ? undefined : Number(timeout);
      const ctx = createLazyContext(nodeReq, res, timeoutMs, () => {
        // The deadline passed before the core answered: answer now, as the
        // stock handler would, and let the core see the aborted signal.
        fail(new ConnectError("the operation timed out", Code.DeadlineExceeded));
      });
      route.invoke(request, ctx).then(
        (reply) => {
          ctx.done();
          let bytes: Uint8Array;
          try {
            bytes = binary
              ? toBinary(route.method.output, reply)
              : Buffer.from(toJsonString(route.method.output, reply));
          } catch (err) {
            return fail(new ConnectError("internal error: cannot encode reply", Code.Internal, undefined, undefined, err));
          }
          if (bytes.byteLength > writeMaxBytes) {
            return fail(
              new ConnectError(
                `message size ${bytes.byteLength} is larger than configured writeMaxBytes ${writeMaxBytes}`,
                Code.ResourceExhausted,
              ),
            );
          }
          send(200, binary ? headersProto : headersJson, bytes);
        },
        (err: unknown) => {
          ctx.done();
          fail(ConnectError.from(err));
        },
      );
    });
  };
}

/** true for binary, false for JSON, undefined for anything this path leaves alone. */
function bodyFormat(contentType: string | undefined): boolean | undefined {
  if (contentType === contentTypeJson || contentType === "application/json; charset=utf-8") return false;
  if (contentType === contentTypeProto) return true;
  return undefined;
}

function tooLarge(size: number, max: number): ConnectError {
  return new ConnectError(`message size ${size} is larger than configured readMaxBytes ${max}`, Code.ResourceExhausted);
}

function decodeError(route: UnaryRoute, binary: boolean, err: unknown): ConnectError {
  const detail = err instanceof Error ? err.message : String(err);
  // protobuf-es's JSON errors already say what failed; binary ones do not.
  const message = detail.startsWith("cannot decode")
    ? detail
    : `cannot decode message ${route.method.input.typeName} from ${binary ? "binary" : "JSON"}: ${detail}`;
  return new ConnectError(message, Code.InvalidArgument);
}

/**
 * A CallContext whose costly parts (web Headers, AbortController) are only
 * built when a core asks for them; most calls never do. A deadline arms a
 * timer that calls `onDeadline` and aborts the signal.
 */
function createLazyContext(
  req: IncomingMessage | Http2ServerRequest,
  res: Parameters<DualHandler>[1],
  timeoutMs: number | undefined,
  onDeadline: () => void,
): CallContext & { done(): void } {
  let headers: Headers | undefined;
  let controller: AbortController | undefined;
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  const controllerOf = () => {
    if (controller === undefined) {
      controller = new AbortController();
      res.once("close", onClose);
    }
    return controller;
  };
  const onClose = () => controller?.abort(new ConnectError("client closed the request", Code.Canceled));
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          onDeadline();
          controllerOf().abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
        }, timeoutMs);
  return {
    deadline,
    get headers() {
      if (headers === undefined) {
        headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) {
          if (name.startsWith(":") || value === undefined) continue;
          if (Array.isArray(value)) for (const v of value) headers.append(name, v);
          else headers.set(name, value);
        }
      }
      return headers;
    },
    get signal() {
      return controllerOf().signal;
    },
    done() {
      if (timer !== undefined) clearTimeout(timer);
      if (controller !== undefined) res.off("close", onClose);
    },
  };
}
