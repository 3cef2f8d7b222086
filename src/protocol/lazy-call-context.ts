/**
 * The CallContext the fast paths hand to the core. Building web Headers and
 * an AbortController costs more than many whole calls, so both are made only
 * when a core asks for them; most calls never do.
 */
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CallContext } from "../core/call-context.js";
import type { DualHandler } from "../http/http2-express.js";

/**
 * Create the context of one call. A deadline arms a timer that calls
 * `onDeadline` (which answers the client) and aborts the signal; `done()`
 * disarms it when the core has answered. Client disconnects abort the signal
 * with `canceled`.
 */
export function createLazyContext(
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
