/**
 * The runtime-core contract: one method per CRI RPC, request/response shaped,
 * named with the lowerCamel keys Connect uses (`runPodSandbox`,
 * `stopContainer`) so one grep finds a verb in every layer and a proxy core
 * can pass calls straight through.
 *
 * The method types are derived from the generated service descriptors, so
 * the contract can never drift from `proto/`.
 */
import type {
  DescMethodServerStreaming,
  DescMethodUnary,
  MessageShape,
} from "@bufbuild/protobuf";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { ImageService, RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import type { StreamRoute } from "../streaming/stream-route.js";
import type { CallContext } from "./call-context.js";

/**
 * A unary RPC becomes `(req, ctx) => Promise<Response>`; a server-streaming
 * RPC becomes `(req, ctx) => AsyncIterable<Response>` that ends when
 * `ctx.signal` aborts.
 */
export type CoreMethod<M> =
  M extends DescMethodUnary<infer I, infer O>
    ? (request: MessageShape<I>, ctx: CallContext) => Promise<MessageShape<O>>
    : M extends DescMethodServerStreaming<infer I, infer O>
      ? (request: MessageShape<I>, ctx: CallContext) => AsyncIterable<MessageShape<O>>
      : never;

/** Every RuntimeService RPC as a core method. */
export type RuntimeMethods = {
  [K in keyof (typeof RuntimeService)["method"]]: CoreMethod<(typeof RuntimeService)["method"][K]>;
};

/** Every ImageService RPC as a core method. */
export type ImageMethods = {
  [K in keyof (typeof ImageService)["method"]]: CoreMethod<(typeof ImageService)["method"][K]>;
};

// The groups below follow the kubelet's split of CRI (cri-api services.go).
// They exist so that code needing only part of a runtime can say so.

/** Reports the runtime's name and versions. */
export type Versioner = Pick<RuntimeMethods, "version">;

/** Pod sandbox lifecycle, pod checkpoint/restore and port forwarding. */
export type PodSandboxManager = Pick<
  RuntimeMethods,
  | "runPodSandbox"
  | "stopPodSandbox"
  | "removePodSandbox"
  | "podSandboxStatus"
  | "listPodSandbox"
  | "streamPodSandboxes"
  | "portForward"
  | "updatePodSandboxResources"
  | "checkpointPod"
  | "restorePod"
>;

/** Container lifecycle, exec/attach, logs, checkpoints and events. */
export type ContainerManager = Pick<
  RuntimeMethods,
  | "createContainer"
  | "startContainer"
  | "stopContainer"
  | "removeContainer"
  | "listContainers"
  | "streamContainers"
  | "containerStatus"
  | "updateContainerResources"
  | "reopenContainerLog"
  | "execSync"
  | "exec"
  | "attach"
  | "checkpointContainer"
  | "getContainerEvents"
>;

/** Resource usage of containers and pod sandboxes. */
export type StatsManager = Pick<
  RuntimeMethods,
  | "containerStats"
  | "listContainerStats"
  | "streamContainerStats"
  | "podSandboxStats"
  | "listPodSandboxStats"
  | "streamPodSandboxStats"
  | "listMetricDescriptors"
  | "listPodSandboxMetrics"
  | "streamPodSandboxMetrics"
>;

/** Runtime status, configuration and feature discovery. */
export type RuntimeConfigManager = Pick<
  RuntimeMethods,
  "status" | "updateRuntimeConfig" | "runtimeConfig"
>;

/** Image pull, inspection and removal. */
export type ImageManager = ImageMethods;

/** The answer of {@link RuntimeCore.health}. */
export interface CoreHealth {
  /** True when the core can serve calls now. */
  readonly ready: boolean;
  /** Short human-readable reason, e.g. the upstream endpoint that is down. */
  readonly message?: string;
}

/**
 * A complete runtime core: every CRI method plus lifecycle. Cores are plain
 * objects returned by factories (`createMemoryRuntime(opts)`).
 *
 * Errors: throw {@link CoreError} for expected failures; a ConnectError from
 * an upstream runtime may be rethrown unchanged; anything else is reported to
 * the client as `internal`.
 */
export interface RuntimeCore extends RuntimeMethods, ImageMethods {
  /** Short name for logs and the ready line, e.g. "memory". */
  readonly name: string;
  /** Whether the core can serve; used by /readyz. */
  health(): Promise<CoreHealth>;
  /** Release resources and end open streams. Idempotent. */
  close(): Promise<void>;
  /**
   * For a core that serves Exec/Attach/PortForward sessions itself: it
   * answers those RPCs with URLs on the gateway (`/stream/<kind>/<token>`)
   * and serves the upgrade requests made to them. Leave it out and the
   * gateway proxies the URLs the core returns instead.
   */
  readonly streaming?: StreamingServer;
  /**
   * For a core that relays calls to another runtime (the remote core): unary
   * calls that arrive as binary protobuf (gRPC, gRPC-Web, Connect binary)
   * are handed over still encoded, and the reply bytes go back as they are.
   * Interceptors see decoded messages, so interceptCore drops this when it
   * adds any.
   */
  readonly forward?: BinaryForwarder;
  /**
   * True when the core (or the runtime behind it) checks requests itself:
   * the gateway then skips its own required-field checks on every protocol,
   * so answers are the runtime's own, as when calling it directly.
   */
  readonly checksRequests?: boolean;
}

/** Relays encoded unary calls; see {@link RuntimeCore.forward}. */
export interface BinaryForwarder {
  /** Relay one call of `method`; rejects as the decoded method would (CoreError or ConnectError). */
  unary(method: DescMethodUnary, request: Uint8Array, ctx: CallContext): Promise<Uint8Array>;
}

/** Serves the HTTP/1.1 upgrade requests made to a core's streaming URLs. */
export interface StreamingServer {
  /**
   * Serve one upgrade request for `route`. The socket is the client's raw
   * connection (already past the request head; `head` holds any bytes read
   * beyond it): answer on it — a 101 and the stream, or an HTTP error — and
   * close it when done. Must not throw.
   */
  handleUpgrade(route: StreamRoute, request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * The gateway is shutting down: end open sessions now, telling clients
   * why where the protocol can (sockets still open when the grace period
   * ends are destroyed). Optional.
   */
  shutdown?(): void;
}
