/**
 * The types of `serve()`: what a caller passes in and what it gets back.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Logger } from "../observability/logger.js";

/**
 * The one function that answers every request, whatever the listener and
 * protocol: HTTP/1.1 gets the http module's objects, HTTP/2 the compat ones.
 * `connectNodeAdapter(...)` from @connectrpc/connect-node returns one.
 */
export type RequestHandler = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => void;

/**
 * Takes an HTTP/1.1 upgrade request off the server. Return true when it has
 * answered on the socket; false declines the upgrade, and the request is
 * then served by the {@link RequestHandler} as a plain HTTP/1.1 request.
 */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

/** Where the listeners report connection-level trouble. Messages never carry header values. */
export type ServerLogger = Pick<Logger, "debug" | "warn">;

/** TLS material for the TCP listener. */
export interface TlsOptions {
  /** PEM private key. */
  key: Buffer | string;
  /** PEM certificate chain. */
  cert: Buffer | string;
  /** PEM CA certificates; with `requestCert`, clients must present a certificate signed by one of them. */
  ca?: Buffer | string;
  /** Ask for and verify a client certificate (mutual TLS); unverified clients are refused. */
  requestCert?: boolean;
}

/** What {@link serve} listens on. Give `tcp`, `socket` or both. */
export interface ServeOptions {
  /** Answers every request on every listener and protocol. */
  handler: RequestHandler;
  /**
   * Takes HTTP/1.1 upgrade requests (the streaming endpoint). Without it,
   * and for upgrades it declines, the upgrade offer is ignored and the
   * request goes to `handler`. TCP upgrades pass the Host check first.
   */
  upgrade?: UpgradeHandler;
  /**
   * TCP listener. Without `tls` it speaks HTTP/1.1 and cleartext HTTP/2
   * (prior knowledge) on the same port. Port 0 picks a free port; read the
   * result from `Serving.tcp`.
   */
  tcp?: { host: string; port: number };
  /**
   * Unix-socket listener, HTTP/1.1 and HTTP/2 like cleartext TCP, with the
   * `:authority` fix for gRPC clients that send the socket path. `mode`
   * defaults to 0o600. A stale socket file is replaced; a live one, or a path
   * that is not a socket, makes `serve()` fail. The socket is bound at a
   * hidden sibling name and then linked into place, so closing never removes
   * a successor's socket; paths within 22 bytes of the 107-byte limit
   * are bound directly and lose that guarantee (see `listenOnSocket`).
   */
  socket?: { path: string; mode?: number };
  /** Make the TCP listener TLS only, with ALPN choosing h2 or http/1.1. Does not apply to the socket. */
  tls?: TlsOptions;
  /**
   * Limit on request header size: HTTP/1 `maxHeaderSize` (Node's default 16 KiB)
   * and the HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE advertised to clients
   * (default 65535; Node enforces at least its default for HTTP/2).
   */
  maxHeaderBytes?: number;
  /**
   * Extra host names TCP requests may name in Host (HTTP/1) or `:authority`
   * (HTTP/2), against DNS rebinding. Compared case-insensitively, ports
   * ignored. On a loopback-bound TCP listener only "localhost", loopback IP
   * literals and these are accepted; on any other address every host is
   * accepted unless this is given (then only these and the loopback names).
   * Refused requests get 421 Misdirected Request and never reach the
   * handler. The unix socket is never checked.
   */
  allowedHosts?: readonly string[];
  /**
   * Connections each listener (TCP, unix socket) holds at a time; more are
   * closed as soon as they are accepted. Default 1024
   * (`defaultMaxConnections`).
   */
  maxConnections?: number;
  /** Where to report connection errors. Defaults to the process logger. */
  logger?: ServerLogger;
}

/** The running listeners returned by {@link serve}. */
export interface Serving {
  /** The bound TCP address; `url` is like http://127.0.0.1:PORT (https with TLS, IPv6 in brackets). */
  readonly tcp?: { host: string; port: number; url: string };
  /** The unix socket's path. */
  readonly socketPath?: string;
  /**
   * Stop accepting, let in-flight requests finish up to `graceMs` (default
   * 5000 ms, `defaultServerGraceMs`; `startGateway()` passes its own
   * 10 s default), then destroy what is left and remove the socket file. HTTP/2
   * clients get GOAWAY; idle HTTP/1 keep-alive connections are closed at
   * once. Idempotent: later calls return the same promise.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}
