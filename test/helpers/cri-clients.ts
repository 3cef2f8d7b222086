/**
 * Real CRI clients for end-to-end tests: connect-node transports for gRPC
 * (h2c), gRPC-Web and Connect (JSON or binary) over TCP or the gateway's unix
 * socket. Every client records the RPCs it sent, so a test can prove that a
 * scenario called every method.
 */
import http from "node:http";
import net from "node:net";
import { type Client, type Interceptor, type Transport, createClient } from "@connectrpc/connect";
import {
  Http2SessionManager,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { ImageService, RuntimeService } from "../../gen/runtime/v1/api_pb.js";

/** A wire protocol the gateway serves. */
export type Protocol = "grpc" | "grpc-web" | "connect-json" | "connect-binary";

/** One way to reach the gateway: protocol, listener and HTTP version. */
export interface ClientCombo {
  readonly protocol: Protocol;
  readonly via: "tcp" | "unix";
  readonly httpVersion: "1.1" | "2";
}

/** Where the gateway listens. */
export interface GatewayAddress {
  /** TCP base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Unix socket path. */
  readonly socketPath: string;
}

/** Clients of both CRI services over one transport. */
export interface CriClients {
  readonly combo: ClientCombo;
  readonly runtime: Client<typeof RuntimeService>;
  readonly image: Client<typeof ImageService>;
  /** `runtime.v1.RuntimeService/Version`-style names of every RPC sent so far. */
  readonly called: Set<string>;
  /** Close the transport's connections. */
  close(): void;
}

/**
 * The combinations the CRI story runs over: every protocol over TCP (gRPC on
 * h2c, the others on HTTP/1.1), Connect JSON over h2c too, and gRPC plus
 * Connect JSON over the unix socket.
 */
export const storyCombos: readonly ClientCombo[] = [
  { protocol: "grpc", via: "tcp", httpVersion: "2" },
  { protocol: "grpc-web", via: "tcp", httpVersion: "1.1" },
  { protocol: "connect-json", via: "tcp", httpVersion: "1.1" },
  { protocol: "connect-binary", via: "tcp", httpVersion: "1.1" },
  { protocol: "connect-json", via: "tcp", httpVersion: "2" },
  { protocol: "grpc", via: "unix", httpVersion: "2" },
  { protocol: "connect-json", via: "unix", httpVersion: "1.1" },
];

/** Every protocol once, over TCP, each on its usual HTTP version. */
export const tcpCombos: readonly ClientCombo[] = storyCombos.filter((c) => c.via === "tcp").slice(0, 4);

/** A readable name, e.g. "grpc over tcp (HTTP/2)". */
export function comboName({ protocol, via, httpVersion }: ClientCombo): string {
  return `${protocol} over ${via} (HTTP/${httpVersion})`;
}

/** Every RPC of both services, as recorded in {@link CriClients.called}. */
export const allMethodNames: readonly string[] = [RuntimeService, ImageService].flatMap((s) =>
  s.methods.map((m) => `${s.typeName}/${m.name}`),
);

/**
 * Create clients for `combo` against `address`. Over the unix socket the
 * HTTP/1.1 transports connect with `socketPath` and the HTTP/2 ones with an
 * http2 session whose `createConnection` dials the socket; the URL's host is
 * then only the `:authority`.
 */
export function createCriClients(address: GatewayAddress, combo: ClientCombo): CriClients {
  const called = new Set<string>();
  const record: Interceptor = (next) => async (req) => {
    called.add(`${req.service.typeName}/${req.method.name}`);
    return await next(req);
  };
  const { transport, close } = createTransport(address, combo, [record]);
  return {
    combo,
    runtime: createClient(RuntimeService, transport),
    image: createClient(ImageService, transport),
    called,
    close,
  };
}

/** The bare transport for `combo`, and how to close its connections. */
export function createTransport(
  address: GatewayAddress,
  combo: ClientCombo,
  interceptors: Interceptor[] = [],
): { transport: Transport; close(): void } {
  const unix = combo.via === "unix";
  const baseUrl = unix ? "http://localhost" : address.url;
  if (combo.httpVersion === "2") {
    const sessionManager = new Http2SessionManager(
      baseUrl,
      {},
      unix ? { createConnection: () => net.connect(address.socketPath) } : {},
    );
    const options = { baseUrl, httpVersion: "2" as const, sessionManager, interceptors };
    const transport =
      combo.protocol === "grpc"
        ? createGrpcTransport(options)
        : combo.protocol === "grpc-web"
          ? createGrpcWebTransport(options)
          : createConnectTransport({ ...options, useBinaryFormat: combo.protocol === "connect-binary" });
    return { transport, close: () => sessionManager.abort() };
  }
  if (combo.protocol === "grpc") throw new Error("gRPC needs HTTP/2");
  const agent = new http.Agent({ keepAlive: true });
  const nodeOptions = unix ? { agent, socketPath: address.socketPath } : { agent };
  const options = { baseUrl, httpVersion: "1.1" as const, nodeOptions, interceptors };
  const transport =
    combo.protocol === "grpc-web"
      ? createGrpcWebTransport(options)
      : createConnectTransport({ ...options, useBinaryFormat: combo.protocol === "connect-binary" });
  return { transport, close: () => agent.destroy() };
}
