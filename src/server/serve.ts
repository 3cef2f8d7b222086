/**
 * `serve()`: start the gateway's listeners (TCP with protocol sniffing or
 * TLS, and a unix socket) in front of one request handler, and close them
 * gracefully.
 */
import net from "node:net";
import { log } from "../observability/logger.js";
import { createCleartextServers } from "./cleartext-servers.js";
import type { CleartextServers } from "./cleartext-servers.js";
import { createConnectionTracker, defaultServerGraceMs } from "./connection-tracker.js";
import { createHostGuard, exposureWarning } from "./host-check.js";
import { defaultMaxConnections } from "./limits.js";
import type { RequestHandler, ServeOptions, ServerLogger, Serving, UpgradeHandler } from "./serve-options.js";
import { createTlsServer } from "./tls-server.js";
import { defaultSocketMode, listenOnSocket, prepareSocketPath, removeSocketFile } from "./unix-socket.js";
import type { SocketFileIdentity } from "./unix-socket.js";

/**
 * Listen as `options` says and return once every listener is bound.
 *
 * Without `tls`, the TCP port and the unix socket each speak HTTP/1.1 and
 * HTTP/2 with prior knowledge, told apart by the HTTP/2 preface. With `tls`,
 * the TCP port is TLS only and ALPN picks h2 or http/1.1. HTTP/2 on the unix
 * socket tolerates clients that send the socket path as `:authority`.
 *
 * TCP requests must name an allowed host (see `ServeOptions.allowedHosts`);
 * others get 421. A TCP listener on a non-loopback address without TLS is
 * logged as a warning. HTTP/2 connections may open at most
 * `http2MaxConcurrentStreams` (100) streams at a time, and each listener
 * holds at most `maxConnections` (1024) connections.
 *
 * Throws (after closing whatever it had opened) when no listener is given,
 * an option is invalid, a port is taken, or the socket path is in use or not
 * a socket.
 *
 * @example
 * const serving = await serve({ handler, tcp: { host: "127.0.0.1", port: 0 }, socket: { path } });
 * console.log(serving.tcp?.url);
 * await serving.close({ graceMs: 2000 });
 */
export async function serve(options: ServeOptions): Promise<Serving> {
  const {
    handler,
    upgrade,
    tcp,
    socket,
    tls,
    maxHeaderBytes,
    allowedHosts,
    maxConnections = defaultMaxConnections,
    logger = log,
  } = options;
  if (typeof handler !== "function") throw new TypeError("serve: handler must be a function");
  if (!tcp && !socket) throw new TypeError("serve: give tcp, socket or both");
  if (tls && !tcp) throw new TypeError("serve: tls applies to the tcp listener, which is missing");
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new TypeError(`serve: maxConnections must be a positive integer, got ${maxConnections}`);
  }
  const hostGuard = createHostGuard({ allowedHosts });

  const tracker = createConnectionTracker();
  const cleartextServers: CleartextServers[] = [];
  const listeners: net.Server[] = [];
  let tcpAddress: Serving["tcp"];
  let socketFile: SocketFileIdentity | undefined;

  const shutDown = async (graceMs: number) => {
    const stopped = listeners.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    // Free the path at once, so a successor can bind it while we drain.
    if (socket && socketFile) await removeSocketFile(socket.path, socketFile);
    await tracker.drain(graceMs);
    await Promise.all(stopped);
    for (const servers of cleartextServers) servers.close();
  };
  const createCleartextListener = (
    listenerHandler: RequestHandler,
    listenerUpgrade: UpgradeHandler | undefined,
    fixAuthority: boolean,
  ) => {
    const servers = createCleartextServers({
      handler: listenerHandler,
      upgrade: listenerUpgrade,
      tracker,
      logger,
      maxHeaderBytes,
      fixAuthority,
    });
    cleartextServers.push(servers);
    return createPlainListener((conn) => servers.accept(conn));
  };

  try {
    if (tcp) {
      // Only TCP is checked: the unix socket is guarded by its file mode.
      const tcpHandler = hostGuard.wrap(handler);
      const tcpUpgrade = upgrade === undefined ? undefined : hostGuard.wrapUpgrade(upgrade);
      const server = tls
        ? createTlsServer({ handler: tcpHandler, upgrade: tcpUpgrade, tls, tracker, logger, maxHeaderBytes })
        : createCleartextListener(tcpHandler, tcpUpgrade, false);
      listeners.push(server);
      watchListener(server, maxConnections, logger);
      await listenOnTcp(server, tcp.host, tcp.port);
      tcpAddress = describeTcp(server, tls !== undefined);
      hostGuard.setBoundAddress(tcpAddress.host);
      const warning = exposureWarning(tcpAddress.host, tls !== undefined);
      if (warning) logger.warn(warning, { url: tcpAddress.url });
    }
    if (socket) {
      await prepareSocketPath(socket.path);
      const server = createCleartextListener(handler, upgrade, true);
      listeners.push(server);
      watchListener(server, maxConnections, logger);
      socketFile = await listenOnSocket(server, socket.path, socket.mode ?? defaultSocketMode);
    }
  } catch (err: unknown) {
    await shutDown(0);
    throw err;
  }

  let closed: Promise<void> | undefined;
  return {
    ...(tcpAddress ? { tcp: tcpAddress } : {}),
    ...(socket ? { socketPath: socket.path } : {}),
    close({ graceMs = defaultServerGraceMs } = {}) {
      closed ??= shutDown(graceMs);
      return closed;
    },
  };
}

/** A net.Server that hands every connection to `accept`. */
function createPlainListener(accept: (socket: net.Socket) => void): net.Server {
  // allowHalfOpen and noDelay as http.Server sets them; HTTP/2 sockets get
  // allowHalfOpen turned off when they are handed over.
  return net.createServer({ allowHalfOpen: true, noDelay: true }, accept);
}

/**
 * Cap the listener's connections and report its trouble. Accept errors (e.g.
 * EMFILE) must not crash the process. Connections over the cap are closed by
 * Node as they are accepted; the first drop is a warning, later ones would
 * flood the log, so they are debug.
 */
function watchListener(server: net.Server, maxConnections: number, logger: ServerLogger): void {
  server.maxConnections = maxConnections;
  server.on("error", (err: NodeJS.ErrnoException) => logger.warn("listener error", { code: err.code ?? err.message }));
  let warned = false;
  server.on("drop", () => {
    const fields = { maxConnections };
    if (warned) logger.debug("connection dropped: too many connections", fields);
    else logger.warn("connection limit reached; dropping new connections until some close", fields);
    warned = true;
  });
}

function listenOnTcp(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) =>
      reject(new Error(`cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
    server.once("error", onError);
    server.listen({ host, port }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function describeTcp(server: net.Server, secure: boolean): { host: string; port: number; url: string } {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("tcp listener has no address");
  const host = address.address;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return { host, port: address.port, url: `${secure ? "https" : "http"}://${urlHost}:${address.port}` };
}
