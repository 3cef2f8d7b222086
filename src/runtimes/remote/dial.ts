/**
 * Dials an upstream CRI runtime: a connect-node gRPC transport over HTTP/2,
 * on a unix socket (Node's http2 `createConnection`) or TCP, and a plain
 * connect probe that tells whether anything listens there. The session
 * manager redials on the next call after the connection fails;
 * connection-state.ts decides when calls may try again.
 */
import { connect as netConnect, type Socket } from "node:net";
import type { Transport } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import type { Endpoint } from "./endpoint.js";

/** A transport to one endpoint, with the session it runs on. */
export interface Dialed {
  readonly transport: Transport;
  /** Close the connection and its open streams. */
  close(): void;
}

/** How to dial. */
export interface DialOptions {
  /** Largest message sent or received, in bytes. */
  readonly maxMessageBytes: number;
  /** Give up establishing a connection after this long (reported as unavailable). */
  readonly connectTimeoutMs: number;
}

/** A socket to `endpoint` (unix path or TCP host and port). */
export const connectTo = (endpoint: Endpoint): Socket =>
  endpoint.kind === "unix" ? netConnect(endpoint.path) : netConnect(endpoint.port, endpoint.host);

/** Build a gRPC transport to `endpoint`. Nothing is dialed until the first call. */
export function dial(endpoint: Endpoint, { maxMessageBytes, connectTimeoutMs }: DialOptions): Dialed {
  // NOTE: for unix sockets the authority is only a label; createConnection
  // decides where the bytes go.
  const baseUrl =
    endpoint.kind === "unix" ? "http://localhost" : `http://${endpoint.host}:${endpoint.port}`;
  const session = new Http2SessionManager(
    baseUrl,
    { connectTimeoutMs, pingIntervalMs: 30_000 },
    endpoint.kind === "unix" ? { createConnection: () => connectTo(endpoint) } : {},
  );
  const transport = createGrpcTransport({
    baseUrl,
    sessionManager: session,
    readMaxBytes: maxMessageBytes,
    writeMaxBytes: maxMessageBytes,
  });
  return { transport, close: () => session.abort() };
}

/**
 * Connect to `endpoint` and hang up at once: resolves when something
 * accepts the connection, rejects with the socket error (`ECONNREFUSED`,
 * `ENOENT`, ...) or, after `timeoutMs`, with an `ETIMEDOUT` error whose
 * syscall is `connect`. No HTTP/2 or CRI traffic is sent. Aborting `signal`
 * rejects at once and closes the socket.
 */
export function probeEndpoint(endpoint: Endpoint, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const socket = connectTo(endpoint);
    const finish = (err?: unknown) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      if (err === undefined) resolve();
      else reject(err);
    };
    const onAbort = () => finish(signal?.reason);
    const timer = setTimeout(
      () => finish(Object.assign(new Error("connect timed out"), { code: "ETIMEDOUT", syscall: "connect" })),
      timeoutMs,
    );
    timer.unref();
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => finish());
    socket.once("error", (err) => finish(err));
  });
}
