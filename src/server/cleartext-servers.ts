/**
 * The HTTP/1.1 and HTTP/2 (h2c) servers behind the cleartext listeners (TCP
 * without TLS, and the unix socket). They never listen themselves: a listener
 * accepts a connection, `sniff.ts` decides its protocol, and the connection is
 * handed to the matching server, through the `:authority` fix for HTTP/2 on
 * the unix socket.
 */
import http from "node:http";
import http2 from "node:http2";
import type { Socket } from "node:net";
import { createAuthorityFixStream } from "./authority-fix.js";
import type { ConnectionTracker } from "./connection-tracker.js";
import { defaultHeaderTableSize, defaultMaxHeaderListSize } from "./header-block.js";
import { createHttp2Settings } from "./limits.js";
import { declineUpgrade, whenResponsesDone } from "./decline-upgrade.js";
import type { RequestHandler, ServerLogger, UpgradeHandler } from "./serve-options.js";
import { sniffProtocol } from "./sniff.js";

/** Accepts cleartext connections for one listener of one `serve()` call. */
export interface CleartextServers {
  /** Take over a freshly accepted connection: detect its protocol and hand it to the matching server. */
  accept(socket: Socket): void;
  /** Stop the servers' timers. Connections are closed by the tracker. */
  close(): void;
}

/** Test hooks for the HTTP/1.1 server's slow-client timeouts; production keeps Node's defaults. */
export type Http1TimeoutOptions = Pick<http.ServerOptions, "headersTimeout" | "requestTimeout" | "connectionsCheckingInterval">;

/**
 * Create the HTTP/1.1 and h2c servers for one listener. `fixAuthority`
 * routes HTTP/2 through the `:authority` fix; use it for the unix socket.
 * Node's HTTP/1 headersTimeout (60 s) and requestTimeout (300 s) apply to
 * every connection handed over, though these servers never listen.
 */
export function createCleartextServers({
  handler,
  upgrade,
  tracker,
  logger,
  maxHeaderBytes,
  fixAuthority,
  http1Timeouts = {},
}: {
  handler: RequestHandler;
  upgrade?: UpgradeHandler;
  tracker: ConnectionTracker;
  logger: ServerLogger;
  maxHeaderBytes?: number;
  fixAuthority: boolean;
  http1Timeouts?: Http1TimeoutOptions;
}): CleartextServers {
  const maxHeaderListSize = maxHeaderBytes ?? defaultMaxHeaderListSize;
  const h1 = http.createServer({
    ...http1Timeouts,
    ...(maxHeaderBytes === undefined ? {} : { maxHeaderSize: maxHeaderBytes }),
  });
  // Track before the handler runs, so a request knows it arrived while closing.
  h1.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => tracker.addHttp1Request(req.socket, res));
  h1.on("request", handler);
  if (upgrade !== undefined) {
    h1.on("upgrade", (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
      whenResponsesDone(socket, () => {
        // No new sessions once closing; the connection was told to close.
        if (tracker.closing) {
          socket.destroy();
          return;
        }
        if (upgrade(req, socket, head)) tracker.markUpgraded(socket);
        else declineUpgrade(req, socket, head, (again) => h1.emit("connection", again));
      });
    });
  }
  // NOTE: this server never listens. Node starts its per-server connection
  // list, which enforces headersTimeout and requestTimeout against slow
  // clients, on 'listening', so we emit it once, before any connection
  // arrives (connections emitted earlier would not be in the list).
  h1.emit("listening");

  const h2 = http2.createServer({ settings: createHttp2Settings(maxHeaderListSize) });
  h2.on("request", handler);
  h2.on("session", (session) => tracker.addSession(session));
  h2.on("sessionError", (err: Error) => logger.debug("http2 session error", { error: err.message }));

  return {
    accept(socket) {
      tracker.addSocket(socket);
      tracker.setSniffing(socket, true);
      // Without a listener an ECONNRESET would crash the process; servers add
      // their own once they own the socket.
      socket.on("error", (err: NodeJS.ErrnoException) =>
        logger.debug("connection error", { code: err.code ?? err.message }),
      );
      void sniffProtocol(socket).then((protocol) => {
        tracker.setSniffing(socket, false);
        if (!protocol) return;
        if (tracker.closing) {
          socket.destroy();
          return;
        }
        if (protocol === "h1") {
          // As http.Server sets it: Node's HTTP/1 code handles the client's FIN.
          socket.allowHalfOpen = true;
          tracker.addHttp1(socket);
          h1.emit("connection", socket);
          // The HTTP/1 server only attaches listeners; our pause would hold back the unshifted bytes.
          socket.resume();
          return;
        }
        socket.allowHalfOpen = false;
        h2.emit(
          "connection",
          fixAuthority
            ? createAuthorityFixStream(socket, { headerTableSize: defaultHeaderTableSize, maxHeaderListSize })
            : socket,
        );
      });
    },
    close() {
      // Clears the connection-checking interval; the net.Server part reports
      // "not running", which is expected for a server that never listened.
      h1.close(() => {});
    },
  };
}
