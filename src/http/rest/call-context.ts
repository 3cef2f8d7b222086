/**
 * The CallContext of a REST or SSE request, built the way the Connect
 * services build theirs: the request headers, and a signal that aborts when
 * the client goes away. REST calls carry no deadline.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CallContext } from "../../core/call-context.js";
import { toWebHeaders } from "../web-headers.js";

/** A request as express hands it over, on HTTP/1.1 or HTTP/2. */
export type AnyRequest = IncomingMessage | Http2ServerRequest;
/** A response as express hands it over, on HTTP/1.1 or HTTP/2. */
export type AnyResponse = ServerResponse | Http2ServerResponse;

/**
 * Build the context for one call. The signal aborts with `canceled` when the
 * connection or stream closes before the response was fully written, and
 * also when `controller` (if given) is aborted by its owner, e.g. at gateway
 * shutdown for event streams.
 */
export function createRestCallContext(
  req: AnyRequest,
  res: AnyResponse,
  controller: AbortController = new AbortController(),
): CallContext {
  res.once("close", () => {
    // "close" also follows a complete response; only one before we ended it
    // is a cancel. (Not writableFinished: HTTP/2 reports a reset stream as
    // finished.)
    if (!res.writableEnded) controller.abort(new ConnectError("client closed the request", Code.Canceled));
  });
  return { signal: controller.signal, deadline: undefined, headers: toWebHeaders(req) };
}
