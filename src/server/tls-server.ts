/**
 * The TLS listener: one port, ALPN picks HTTP/2 ("h2") or HTTP/1.1.
 *
 * NOTE: a TLS port speaks TLS only. It does not sniff for cleartext HTTP the
 * way the plain TCP listener does, so it can never be used without TLS;
 * cleartext bytes fail the handshake and the connection is dropped.
 */
import type { ServerResponse } from "node:http";
import http2 from "node:http2";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { ConnectionTracker } from "./connection-tracker.js";
import { createHttp2Settings } from "./limits.js";
import type { IncomingMessage } from "node:http";
import { declineUpgrade, whenResponsesDone } from "./decline-upgrade.js";
import type { RequestHandler, ServerLogger, TlsOptions, UpgradeHandler } from "./serve-options.js";

/**
 * Create (not yet listening) the TLS server for `serve()`. HTTP/1.1 over TLS
 * keeps Node's headersTimeout (60 s) and requestTimeout (300 s).
 */
export function createTlsServer({
  handler,
  upgrade,
  tls,
  tracker,
  logger,
  maxHeaderBytes,
}: {
  handler: RequestHandler;
  upgrade?: UpgradeHandler;
  tls: TlsOptions;
  tracker: ConnectionTracker;
  logger: ServerLogger;
  maxHeaderBytes?: number;
}): http2.Http2SecureServer {
  const server = http2.createSecureServer({
    key: tls.key,
    cert: tls.cert,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    // Client certificates are verified against `ca` when requested.
    ...(tls.requestCert ? { requestCert: true, rejectUnauthorized: true } : {}),
    allowHTTP1: true,
    ALPNProtocols: ["h2", "http/1.1"],
    settings: createHttp2Settings(maxHeaderBytes),
  });
  // With allowHTTP1, Node's HTTP/1 code reads its header limit from this
  // property of the server; createSecureServer does not take it as an option.
  if (maxHeaderBytes !== undefined) Object.assign(server, { maxHeaderSize: maxHeaderBytes });
  server.on("connection", (socket: Socket) => {
    tracker.addSocket(socket);
    socket.on("error", (err: NodeJS.ErrnoException) =>
      logger.debug("connection error", { code: err.code ?? err.message }),
    );
  });
  server.on("secureConnection", (socket: TLSSocket) => {
    if (socket.alpnProtocol !== "h2") tracker.addHttp1(socket);
  });
  server.on("session", (session) => tracker.addSession(session));
  server.on("request", (req, res) => {
    // HTTP/2 streams close with their session; only HTTP/1 needs per-request
    // tracking. With allowHTTP1 Node hands HTTP/1 requests the http module's
    // objects, although the typings only name the HTTP/2 compat ones.
    if (req.httpVersionMajor === 1) tracker.addHttp1Request(req.socket, res as unknown as ServerResponse);
  });
  server.on("request", handler);
  if (upgrade !== undefined) {
    // With allowHTTP1, Node's HTTP/1 code emits 'upgrade' on this server; a
    // declined offer goes back through 'secureConnection', where that code
    // takes HTTP/1 connections.
    server.on("upgrade", (req: IncomingMessage, socket: TLSSocket, head: Buffer) => {
      whenResponsesDone(socket, () => {
        // No new sessions once closing; the connection was told to close.
        if (tracker.closing) {
          socket.destroy();
          return;
        }
        if (upgrade(req, socket, head)) tracker.markUpgraded(socket);
        else declineUpgrade(req, socket, head, (again) => server.emit("secureConnection", again));
      });
    });
  }
  server.on("tlsClientError", (err: NodeJS.ErrnoException) =>
    logger.debug("tls handshake failed", { code: err.code ?? err.message }),
  );
  server.on("sessionError", (err: Error) => logger.debug("http2 session error", { error: err.message }));
  return server;
}
