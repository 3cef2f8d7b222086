/**
 * Server-Sent Events framing on a node:http or node:http2 response: the
 * response head, `event:`/`id:`/`data:` frames, comment heartbeats and
 * backpressure. Format: https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
import type { ServerResponse } from "node:http";
import type { AnyResponse } from "./rest/call-context.js";

/** Writes one SSE stream. Every method is a no-op once the client has gone. */
export interface SseWriter {
  /** True once the response is closed or ended. */
  readonly closed: boolean;
  /**
   * Send the head (status 200, `text/event-stream`) and a first comment, so
   * the client holds the headers at once and knows it is subscribed; then
   * start the heartbeat.
   */
  open(): void;
  /**
   * Send one event. `data` must be one line (compact JSON is). Resolves when
   * the frame is handed to the socket, or after a drain when the send buffer
   * is full, so a slow reader slows the producer instead of filling memory.
   */
  event(name: string, data: string, id?: string): Promise<void>;
  /** Stop the heartbeat and end the response. */
  end(): void;
}

/** Response headers of an event stream. */
export const sseHeaders: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream",
  // Proxies and browsers must neither cache nor buffer the stream
  // (x-accel-buffering: nginx's per-response switch).
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
};

/**
 * Create a writer on `res`. A heartbeat comment (`: keep-alive`) goes out
 * every `heartbeatMs` so idle proxies and load balancers keep the connection
 * open; it is skipped while the send buffer is full.
 */
export function createSseWriter(res: AnyResponse, { heartbeatMs }: { heartbeatMs: number }): SseWriter {
  // One signature for both response classes, whose write() overloads differ.
  const out = res as ServerResponse;
  let gone = false;
  let needDrain = false;
  let heartbeat: NodeJS.Timeout | undefined;
  const isClosed = () => gone || out.writableEnded;
  const stop = () => {
    if (heartbeat !== undefined) clearInterval(heartbeat);
    heartbeat = undefined;
  };
  out.once("close", () => {
    gone = true;
    stop();
  });
  const write = (text: string): void => {
    if (isClosed()) return;
    if (!out.write(text)) needDrain = true;
  };
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        out.off("drain", done);
        out.off("close", done);
        needDrain = false;
        resolve();
      };
      out.on("drain", done);
      out.on("close", done);
    });

  return {
    get closed() {
      return isClosed();
    },
    open() {
      if (isClosed()) return;
      out.writeHead(200, sseHeaders);
      write(": connected\n\n");
      heartbeat = setInterval(() => {
        if (!needDrain) write(": keep-alive\n\n");
      }, heartbeatMs);
      // The open connection, not this timer, is what keeps the process busy.
      heartbeat.unref();
    },
    async event(name, data, id) {
      write(`${id === undefined ? "" : `id: ${id}\n`}event: ${name}\ndata: ${data}\n\n`);
      if (needDrain && !isClosed()) await drained();
    },
    end() {
      stop();
      if (!isClosed()) out.end();
    },
  };
}
