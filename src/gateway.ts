/**
 * The composition root: load a runtime core, wrap it in the interception
 * chain, build the Connect routes and the express app, and serve them on TCP
 * and/or a unix socket. The CLI and the end-to-end tests both start the
 * gateway through {@link startGateway}, so tests exercise what users run.
 */
import { readFileSync } from "node:fs";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { CoreInterceptor } from "./core/intercept.js";
import { interceptCore, interceptStream } from "./core/intercept.js";
import { loadCore } from "./core/registry.js";
import type { RuntimeCore } from "./core/runtime-core.js";
import { LogService, type ReadLogsRequest, type ReadLogsResponse } from "../gen/crigateway/v1/logs_pb.js";
import { createLazyHttpApp } from "./http/lazy-app.js";
import { createLogReader } from "./logs/index.js";
import { log } from "./observability/logger.js";
import { type Serving, parseHostname, serve } from "./server/index.js";
import { createUnaryFastPath } from "./protocol/index.js";
import { createRoutes } from "./services/routes.js";
import { createStreamingProxy, createUpgradeRouter } from "./streaming/index.js";
import { gatewayVersion } from "./version.js";

/** The kubelet's default gRPC message limit; large lists need it. */
export const defaultMaxMessageBytes = 16 * 1024 * 1024;
/** How long shutdown waits for in-flight calls before cutting them off. */
export const defaultGraceMs = 10_000;

/** Everything {@link startGateway} can be told. */
export interface GatewayOptions {
  /** TCP address `{host, port}`; port 0 picks a free one. Omit for no TCP listener. */
  tcp?: { host: string; port: number };
  /** Unix socket path. Omit for no socket. */
  socket?: string;
  /** Permission bits of the socket file. Default 0o600. */
  socketMode?: number;
  /** TLS for the TCP listener (PEM file paths). The socket stays cleartext. */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
  /** Built-in core name or module path. Default "memory". */
  runtime?: string;
  /** `key=value` settings passed to the core. */
  coreSettings?: Record<string, string>;
  /** Use this core instead of loading one (tests, embedding). */
  core?: RuntimeCore;
  /** Interceptors applied to every call, whatever its protocol. */
  interceptors?: CoreInterceptor[];
  /** Largest request or response message in bytes. Default 16 MiB. */
  maxMessageBytes?: number;
  /** Shutdown grace period in ms. Default 10 s. */
  graceMs?: number;
  /**
   * Host names TCP clients may use besides localhost and loopback addresses
   * (a guard against DNS rebinding). Default none.
   */
  allowedHosts?: readonly string[];
  /** Most connections open at once per listener. Default 1024. */
  maxConnections?: number;
  /**
   * How long a proxied Exec/Attach/PortForward URL stays valid, for cores
   * that do not serve streams themselves. Default 60 s.
   */
  streamTokenTtlMs?: number;
}

/** A running gateway. */
export interface Gateway {
  /** Base URL of the TCP listener, e.g. `http://127.0.0.1:7070`. */
  readonly url?: string;
  /** Path of the unix socket, when serving one. */
  readonly socketPath?: string;
  /** The core calls are routed to (already intercepted). */
  readonly core: RuntimeCore;
  /** Stop accepting, end streams, finish in-flight calls (bounded), close the core. Idempotent. */
  close(): Promise<void>;
}

/** Start serving. Rejects if a listener cannot be opened or the core cannot be loaded. */
export async function startGateway({
  tcp,
  socket,
  socketMode = 0o600,
  tls,
  runtime = "memory",
  coreSettings = {},
  core: givenCore,
  interceptors = [],
  maxMessageBytes = defaultMaxMessageBytes,
  graceMs = defaultGraceMs,
  allowedHosts,
  maxConnections,
  streamTokenTtlMs,
}: GatewayOptions): Promise<Gateway> {
  if (tcp === undefined && socket === undefined) {
    throw new Error("nothing to listen on: give a TCP address, a unix socket, or both");
  }
  let serving: Serving | undefined;
  // Streaming URLs need the TCP listener; without one there is none ("").
  const gatewayUrl = () => (serving?.tcp === undefined ? "" : reachableUrl(serving.tcp, tls !== undefined, allowedHosts));
  const rawCore =
    givenCore ?? (await loadCore(runtime, { gatewayUrl, maxMessageBytes, settings: coreSettings, streamTokenTtlMs }));
  // A core that serves Exec/Attach/PortForward itself (memory) answers with
  // gateway URLs already; for any other, the gateway swaps the runtime's
  // URLs for its own and proxies them.
  const proxy = rawCore.streaming === undefined ? createStreamingProxy({ gatewayUrl, ttlMs: streamTokenTtlMs }) : undefined;
  const core = interceptCore(proxy === undefined ? rawCore : proxy.wrap(rawCore), interceptors);
  const streamingServer = proxy?.server ?? (rawCore.streaming as NonNullable<RuntimeCore["streaming"]>);
  const upgrade = createUpgradeRouter(streamingServer);


  // The gateway's LogService reads the files the runtime writes; it asks the
  // intercepted core where they are, and its calls pass the same
  // interceptors as every CRI call.
  const logReader = createLogReader({ core });
  const readLogs = interceptStream(
    LogService,
    LogService.method.readLogs,
    (request, ctx) => logReader.readLogs(request as ReadLogsRequest, ctx),
    interceptors,
  );
  // Aborting this ends server streams (GetContainerEvents never ends by itself).
  const shutdown = new AbortController();
  const fallback = createLazyHttpApp({
    core,
    version: gatewayVersion,
    shutdownSignal: shutdown.signal,
    maxBodyBytes: maxMessageBytes,
    readLogs: (request, ctx) => readLogs(request, ctx) as AsyncIterable<ReadLogsResponse>,
  });
  const routes = createRoutes(core, shutdown.signal, { readLogs });
  const stock = connectNodeAdapter({
    routes: routes.register,
    fallback,
    readMaxBytes: maxMessageBytes,
    writeMaxBytes: maxMessageBytes,
    // Unknown JSON fields are an error, not silently dropped (Connect's default).
    jsonOptions: { ignoreUnknownFields: false },
  });
  const handler = createUnaryFastPath({
    unary: routes.unary,
    fallback: stock,
    readMaxBytes: maxMessageBytes,
    writeMaxBytes: maxMessageBytes,
  });

  try {
    serving = await serve({
      handler,
      upgrade,
      tcp,
      allowedHosts,
      maxConnections,
      socket: socket === undefined ? undefined : { path: socket, mode: socketMode },
      tls:
        tls === undefined
          ? undefined
          : {
              cert: readFileSync(tls.certFile),
              key: readFileSync(tls.keyFile),
              ca: tls.clientCaFile === undefined ? undefined : readFileSync(tls.clientCaFile),
              requestCert: tls.clientCaFile !== undefined,
            },
    });
  } catch (err) {
    await rawCore.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const started = serving;
  return {
    url: started.tcp?.url,
    socketPath: started.socketPath,
    core,
    close() {
      closing ??= (async () => {
        const done = started.close({ graceMs });
        shutdown.abort();
        streamingServer.shutdown?.();
        await done;
        await rawCore.close();
        log.debug("gateway closed");
      })();
      return closing;
    },
  };
}

/**
 * The base URL clients can reach the TCP listener at, for the streaming
 * URLs handed out. A listener on every address (0.0.0.0, ::) has no such
 * address of its own: the first `--allowed-host` names it when given (the
 * name clients use), else loopback.
 */
export function reachableUrl(
  tcp: { host: string; port: number; url: string },
  secure: boolean,
  allowedHosts: readonly string[] | undefined,
): string {
  if (tcp.host !== "0.0.0.0" && tcp.host !== "::") return tcp.url;
  const first = allowedHosts?.[0];
  const named = first === undefined ? undefined : parseHostname(first.trim());
  const host = named !== undefined && named !== "" ? named : tcp.host === "::" ? "::1" : "127.0.0.1";
  return `${secure ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${tcp.port}`;
}
