/**
 * Writes a failed REST call as Connect writes a failed unary call: the
 * Connect error JSON (`{"code":"not_found","message":"…"}`) with the HTTP
 * status Connect uses for that code. The code comes from the one error table,
 * `src/services/errors.ts`, so REST and RPC clients see the same failure.
 */
import type { ServerResponse } from "node:http";
import type { ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus, errorToJson } from "@connectrpc/connect/protocol-connect";
import { toConnectError } from "../../services/errors.js";
import type { AnyRequest, AnyResponse } from "./call-context.js";

/**
 * Map `err` (anything a core, a check or a parser threw) to its Connect code
 * and answer with it. `where` names the call for the log line written when
 * the error is a bug. Does nothing when the response has already started.
 */
export function sendRestError(req: AnyRequest, res: AnyResponse, err: unknown, where: string): void {
  sendConnectError(req, res, toConnectError(err, where));
}

/** Answer with an already mapped ConnectError. */
export function sendConnectError(req: AnyRequest, res: AnyResponse, error: ConnectError): void {
  if (res.headersSent || res.writableEnded) return;
  const body = JSON.stringify(errorToJson(error, undefined));
  // An error may come before the body was read (wrong content type, too
  // large). Discard what is left: an HTTP/2 stream answered with request
  // data still unread is reset, and curl then reports a framing error
  // instead of the reply. HTTP/1.1 closes the connection rather than read
  // a large rest.
  req.resume();
  const unread = !("stream" in req) && !req.complete;
  writeJson(res, codeToHttpStatus(error.code), body, unread ? { connection: "close" } : {});
}

/** Write a complete JSON response with `content-type: application/json`, as Connect does. */
export function writeJson(res: AnyResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  const head = { ...extra, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) };
  // Both response classes have writeHead(status, headers); their overloads differ.
  (res as ServerResponse).writeHead(status, head);
  res.end(body);
}
