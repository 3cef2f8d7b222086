/**
 * The HTTP/2 connection relayed unary calls run on (raw-unary.ts), kept
 * apart from connect-node's session manager, which the decoded streams use:
 * a relayed call is one request and one reply, and the manager's per-call
 * bookkeeping (an async readiness check, keep-alive timer resets, ref
 * counting) cost more than the rest of the relay. Connects on first use and
 * again after the connection closes, fails or gets GOAWAY.
 */
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectTo } from "./dial.js";
import type { Endpoint } from "./endpoint.js";

/** Flow-control window per stream: a large list arrives without waiting for WINDOW_UPDATEs. */
export const streamWindowBytes = 4 * 1024 * 1024;
/** Flow-control window of the whole connection, shared by all calls in flight. */
export const connectionWindowBytes = 32 * 1024 * 1024;

/** How often an open connection is checked with an HTTP/2 PING (default). */
export const defaultKeepaliveMs = 30_000;
/** How long a PING may go unanswered before the connection counts as dead (default). */
export const defaultKeepaliveTimeoutMs = 15_000;

/** One upstream connection for relayed calls. */
export interface UpstreamSession {
  /**
   * Open a stream with `headers` (`:path` and the rest). Synchronous while
   * connected; otherwise connects first and rejects with the dial error
   * (`ECONNREFUSED`, `ENOENT`, or `ETIMEDOUT` after `connectTimeoutMs`).
   */
  request(headers: OutgoingHttpHeaders): ClientHttp2Stream | Promise<ClientHttp2Stream>;
  /** Close the connection and its streams; later requests fail. */
  close(): void;
}

/** Create the session for `endpoint`. Nothing is dialed until the first request. */
export function createUpstreamSession(
  endpoint: Endpoint,
  {
    connectTimeoutMs,
    keepaliveMs = defaultKeepaliveMs,
    keepaliveTimeoutMs = defaultKeepaliveTimeoutMs,
  }: { connectTimeoutMs: number; keepaliveMs?: number; keepaliveTimeoutMs?: number },
): UpstreamSession {
  const authority = endpoint.kind === "unix" ? "http://localhost" : `http://${endpoint.host}:${endpoint.port}`;
  let current: ClientHttp2Session | undefined;
  let connecting: Promise<ClientHttp2Session> | undefined;
  let closed = false;

  const connect = (): Promise<ClientHttp2Session> =>
    new Promise((resolve, reject) => {
      const session = http2.connect(authority, {
        settings: { initialWindowSize: streamWindowBytes, enablePush: false },
        ...(endpoint.kind === "unix" ? { createConnection: () => connectTo(endpoint) } : {}),
      });
      const forget = () => {
        if (current === session) current = undefined;
      };
      const timer = setTimeout(() => {
        session.destroy();
        reject(Object.assign(new Error("connect timed out"), { code: "ETIMEDOUT", syscall: "connect" }));
      }, connectTimeoutMs);
      timer.unref();
      // Errors reach the calls on their streams; the session only forgets itself.
      session.on("error", (err) => {
        clearTimeout(timer);
        forget();
        reject(err);
      });
      session.once("goaway", forget);
      session.once("close", () => {
        forget();
        clearInterval(pinger);
      });
      // A peer that vanished without closing (a TCP upstream on another
      // host) would otherwise hold every call until its deadline.
      const pinger = setInterval(() => keepAlive(session, keepaliveTimeoutMs), keepaliveMs);
      pinger.unref();
      session.once("connect", () => {
        clearTimeout(timer);
        if (closed) {
          session.destroy();
          reject(new ConnectError("the upstream connection is closed", Code.Canceled));
          return;
        }
        session.setLocalWindowSize(connectionWindowBytes);
        // The gateway's listeners keep the process alive, not this connection.
        session.unref();
        current = session;
        resolve(session);
      });
    });

  return {
    request(headers) {
      if (closed) throw new ConnectError("the upstream connection is closed", Code.Canceled);
      const session = current;
      if (session !== undefined && !session.closed && !session.destroyed) {
        try {
          return session.request(headers);
        } catch {
          // It was going away (GOAWAY in flight): dial a fresh one.
          if (current === session) current = undefined;
        }
      }
      connecting ??= connect().finally(() => {
        connecting = undefined;
      });
      return connecting.then((s) => s.request(headers));
    },
    close() {
      closed = true;
      current?.destroy();
      current = undefined;
    },
  };
}

/** PING `session`; destroy it (failing its calls) when the answer does not come within `timeoutMs`. */
function keepAlive(session: ClientHttp2Session, timeoutMs: number): void {
  if (session.closed || session.destroyed || session.connecting) return;
  const timer = setTimeout(
    () => session.destroy(Object.assign(new Error("upstream did not answer a ping"), { code: "ETIMEDOUT", syscall: "ping" })),
    timeoutMs,
  );
  timer.unref();
  session.ping((err) => {
    clearTimeout(timer);
    if (err !== null && !session.destroyed) session.destroy(err);
  });
}
