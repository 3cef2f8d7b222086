/**
 * Dials an upstream CRI runtime: a connect-node gRPC transport over HTTP/2,
 * on a unix socket (Node's http2 `createConnection`) or TCP. The session
 * manager redials on the next call after the connection fails, so the
 * gateway recovers when the runtime comes back.
 */
import { connect as netConnect } from "node:net";
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

/** Build a gRPC transport to `endpoint`. Nothing is dialed until the first call. */
export function dial(endpoint: Endpoint, { maxMessageBytes, connectTimeoutMs }: DialOptions): Dialed {
  // NOTE: for unix sockets the authority is only a label; createConnection
  // decides where the bytes go.
  const baseUrl =
    endpoint.kind === "unix" ? "http://localhost" : `http://${endpoint.host}:${endpoint.port}`;
  const session = new Http2SessionManager(
    baseUrl,
    { connectTimeoutMs, pingIntervalMs: 30_000 },
    endpoint.kind === "unix" ? { createConnection: () => netConnect(endpoint.path) } : {},
  );
  const transport = createGrpcTransport({
    baseUrl,
    sessionManager: session,
    readMaxBytes: maxMessageBytes,
    writeMaxBytes: maxMessageBytes,
  });
  return { transport, close: () => session.abort() };
}
