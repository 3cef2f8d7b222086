/**
 * The CallContext the fast paths hand to the core. Building web Headers and
 * an AbortController costs more than many whole calls, so both are made only
 * when a core asks for them; most calls never do.
 *
 * NOTE: a class, not an object literal with getters: one shape with getters
 * on the prototype keeps per-call garbage to a single small object. The
 * literal version tripled GC time per request in `bench/`.
 */
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CallContext } from "../core/call-context.js";
import type { DualHandler } from "../http/http2-express.js";
import { toWebHeaders } from "../http/web-headers.js";

type Response = Parameters<DualHandler>[1];

/** The longest delay setTimeout honours (2^31 - 1 ms, about 24.8 days). */
const maxTimerMs = 0x7fff_ffff;

/**
 * The context of one fast-path call. A deadline arms a timer that calls
 * `onDeadline` (which answers the client) and aborts the signal; `done()`
 * disarms it once the core has answered. A client that goes away aborts the
 * signal with `canceled`.
 */
export class LazyCallContext implements CallContext {
  readonly deadline: number | undefined;
  private cachedHeaders: Headers | undefined;
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private onClose: (() => void) | undefined;
  private cancelled: Error | undefined;
  private cancelListeners: ((reason: Error) => void)[] | undefined;

  constructor(
    private readonly req: IncomingMessage | Http2ServerRequest,
    private readonly res: Response,
    timeoutMs: number | undefined,
    onDeadline: () => void,
  ) {
    if (timeoutMs === undefined) {
      this.deadline = undefined;
    } else if (timeoutMs > maxTimerMs) {
      // Node fires longer timers after 1 ms (TimeoutOverflowWarning); a
      // deadline weeks away is as good as none for a unary call.
      this.deadline = Date.now() + timeoutMs;
    } else {
      this.deadline = Date.now() + timeoutMs;
      this.timer = setTimeout(() => {
        onDeadline();
        this.cancel(new ConnectError("the operation timed out", Code.DeadlineExceeded));
      }, timeoutMs);
    }
  }

  get headers(): Headers {
    this.cachedHeaders ??= toWebHeaders(this.req);
    return this.cachedHeaders;
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return typeof value === "string" ? value : Array.isArray(value) ? value.join(", ") : undefined;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.cancelled !== undefined) controller.abort(this.cancelled);
      else this.watchClient();
    }
    return this.controller.signal;
  }

  whenCancelled(listener: (reason: Error) => void): () => void {
    if (this.cancelled !== undefined) {
      listener(this.cancelled);
      return noop;
    }
    this.watchClient();
    const listeners = (this.cancelListeners ??= []);
    listeners.push(listener);
    return () => {
      const at = listeners.indexOf(listener);
      if (at >= 0) listeners.splice(at, 1);
    };
  }

  /** The core has answered: disarm the deadline and stop watching the client. */
  done(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.onClose !== undefined) this.res.off("close", this.onClose);
  }

  private watchClient(): void {
    if (this.onClose !== undefined) return;
    this.onClose = () => this.cancel(new ConnectError("client closed the request", Code.Canceled));
    this.res.once("close", this.onClose);
  }

  private cancel(reason: Error): void {
    if (this.cancelled !== undefined) return;
    this.cancelled = reason;
    this.controller?.abort(reason);
    for (const listener of this.cancelListeners ?? []) listener(reason);
  }
}

const noop = () => {};
