/**
 * The remote core: forwards every CRI method to an upstream runtime
 * (containerd, CRI-O, another cri-gateway) over gRPC. Calls are built from
 * the service descriptors, so all 43 methods pass through the same path:
 * the client's deadline (or a kubelet-like default), its cancellation, and
 * the allowed headers go upstream; upstream answers come back unchanged.
 */
import { type DescMethod, type DescMethodUnary, type DescService, type Message, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { ImageService, RuntimeService } from "../../../gen/runtime/v1/api_pb.js";
import { type CallContext, headerOf, remainingMs } from "../../core/call-context.js";
import { CoreError } from "../../core/core-error.js";
import type { CoreOptions } from "../../core/registry.js";
import type { BinaryForwarder, CoreHealth, RuntimeCore } from "../../core/runtime-core.js";
import { defaultReconnectInitialMs, defaultReconnectMaxMs } from "./backoff.js";
import { type ConnectionState, createConnectionState } from "./connection-state.js";
import { callRawUnary } from "./raw-unary.js";
import {
  type UpstreamSession,
  createUpstreamSession,
  defaultKeepaliveMs,
  defaultKeepaliveTimeoutMs,
} from "./upstream-session.js";
import { type Dialed, dial, probeEndpoint } from "./dial.js";
import { type Endpoint, parseEndpoint } from "./endpoint.js";
import { defaultEventsPollMs, withFallbacks } from "./fallbacks.js";
import { nodeErrorOf } from "./transport-error.js";

/** The kubelet's default deadline for runtime calls (2 minutes). */
export const defaultTimeoutMs = 2 * 60_000;
/** Default deadline for PullImage, which can take long (5 minutes). */
export const defaultPullTimeoutMs = 5 * 60_000;
/** How long health() waits for Version. */
export const healthTimeoutMs = 1000;
/** How long establishing a connection may take before calls fail unavailable. */
export const defaultConnectTimeoutMs = 5000;
/** Headers always passed upstream (W3C trace context). */
export const alwaysForwardedHeaders = ["traceparent", "tracestate"] as const;

type AnyClient = Record<string, (request: Message, options: object) => unknown>;

/**
 * Build the remote core from `options.settings`:
 * - `upstream` (required): `unix:///path.sock` or `tcp://host:port`
 * - `image-upstream`: a separate ImageService endpoint, as the kubelet allows
 * - `timeout-ms`, `pull-timeout-ms`: deadlines when the client sent none
 *   (default 2 min and 5 min)
 * - `forward-headers`: comma list of request headers passed upstream besides
 *   traceparent and tracestate
 * - `upstream-max-message-bytes`: largest message read from or sent to the
 *   upstream (default: the gateway's own limit); a larger value lets the
 *   Stream* fallbacks read a List* answer bigger than one client message
 * - `events-poll-ms`: interval of the GetContainerEvents poll synthesized
 *   for upstreams that lack it (default 1000); see fallbacks.ts
 * - `connect-timeout-ms`: how long establishing a connection may take
 *   (default 5000)
 * - `reconnect-initial-ms`, `reconnect-max-ms`: the redial backoff once an
 *   endpoint is down (default 100 ms, growing ×1.6 with ±20% jitter, at most
 *   1000 ms); see connection-state.ts
 * - `keepalive-ms`, `keepalive-timeout-ms`: the connection relayed calls use
 *   is PINGed this often (default 30000) and dropped, failing its calls with
 *   `unavailable`, when a PING goes unanswered this long (default 15000)
 *
 * Nothing is dialed until the first call. When dialing an endpoint fails it
 * is down: calls to it fail at once with `unavailable` naming the endpoint
 * (`runtime endpoint unix:///x.sock is unavailable: connect ECONNREFUSED
 * (reconnecting, next attempt in 160 ms)`), health() reports not ready
 * without waiting, and a background connect probe redials with backoff until
 * the upstream is back. The runtime and image endpoints are tracked apart.
 * Throws CoreError("invalid_argument") for bad settings.
 */
export function createRemoteRuntime(options: CoreOptions): RuntimeCore {
  const { settings } = options;
  const runtimeEndpoint = parseEndpoint(settings.upstream, "an upstream (--upstream)");
  const imageSetting = settings["image-upstream"];
  const imageEndpoint =
    imageSetting === undefined || imageSetting === "" || imageSetting === runtimeEndpoint.text
      ? runtimeEndpoint
      : parseEndpoint(imageSetting, "a valid --image-upstream");
  const timeoutMs = positiveSetting(settings, "timeout-ms", defaultTimeoutMs);
  const pullTimeoutMs = positiveSetting(settings, "pull-timeout-ms", defaultPullTimeoutMs);
  const connectTimeoutMs = positiveSetting(settings, "connect-timeout-ms", defaultConnectTimeoutMs);
  const eventsPollMs = positiveSetting(settings, "events-poll-ms", defaultEventsPollMs);
  const reconnectInitialMs = positiveSetting(settings, "reconnect-initial-ms", defaultReconnectInitialMs);
  const reconnectMaxMs = positiveSetting(settings, "reconnect-max-ms", defaultReconnectMaxMs);
  const forwarded = new Set<string>([
    ...alwaysForwardedHeaders,
    ...(settings["forward-headers"] ?? "")
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== ""),
  ]);

  const upstreamMaxBytes = positiveSetting(settings, "upstream-max-message-bytes", options.maxMessageBytes, "bytes");
  const dialOptions = { maxMessageBytes: upstreamMaxBytes, connectTimeoutMs };
  const runtimeDial = dial(runtimeEndpoint, dialOptions);
  const imageDial: Dialed = imageEndpoint === runtimeEndpoint ? runtimeDial : dial(imageEndpoint, dialOptions);
  const track = (endpoint: Endpoint): ConnectionState =>
    createConnectionState({
      endpoint: endpoint.text,
      probe: (signal) => probeEndpoint(endpoint, connectTimeoutMs, signal),
      initialMs: reconnectInitialMs,
      maxMs: reconnectMaxMs,
    });
  const runtimeLink = track(runtimeEndpoint);
  const imageLink = imageEndpoint === runtimeEndpoint ? runtimeLink : track(imageEndpoint);
  const runtimeClient = createClient(RuntimeService, runtimeDial.transport);
  const imageClient = createClient(ImageService, imageDial.transport);

  const forwardedNames = [...forwarded];
  /** The forwarded request headers as a plain record (web Headers are slow to build). */
  const forwardedOf = (ctx: CallContext): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const name of forwardedNames) {
      const value = headerOf(ctx, name);
      if (value !== undefined) out[name] = value;
    }
    return out;
  };
  const headersOf = (ctx: CallContext): Headers => new Headers(forwardedOf(ctx));

  /** Milliseconds left for the upstream call, or `fallbackMs` without a deadline; throws when it has passed. */
  const upstreamTimeout = (method: DescMethod, ctx: CallContext, fallbackMs: number | undefined) => {
    const left = remainingMs(ctx);
    if (left !== undefined && left <= 0) {
      throw new ConnectError(`deadline passed before ${method.name} was sent upstream`, Code.DeadlineExceeded);
    }
    return left ?? fallbackMs;
  };
  /** Options for one decoded upstream call (streams). */
  const callOptions = (method: DescMethod, ctx: CallContext, fallbackMs: number | undefined) => ({
    signal: ctx.signal,
    timeoutMs: upstreamTimeout(method, ctx, fallbackMs),
    headers: headersOf(ctx),
  });

  // Binary unary calls relayed without decoding (see RuntimeCore.forward).
  const relayOptions = {
    connectTimeoutMs,
    keepaliveMs: positiveSetting(settings, "keepalive-ms", defaultKeepaliveMs),
    keepaliveTimeoutMs: positiveSetting(settings, "keepalive-timeout-ms", defaultKeepaliveTimeoutMs),
  };
  const runtimeRelay = createUpstreamSession(runtimeEndpoint, relayOptions);
  const imageRelay = imageEndpoint === runtimeEndpoint ? runtimeRelay : createUpstreamSession(imageEndpoint, relayOptions);
  const relayTargets = new Map<DescMethod, { session: UpstreamSession; link: ConnectionState; path: string; fallbackMs: number }>();
  for (const [service, relay, link] of [
    [RuntimeService, runtimeRelay, runtimeLink],
    [ImageService, imageRelay, imageLink],
  ] as const) {
    for (const method of service.methods) {
      if (method.methodKind !== "unary") continue;
      const fallbackMs = method === ImageService.method.pullImage ? pullTimeoutMs : timeoutMs;
      relayTargets.set(method, { session: relay, link, path: `/${service.typeName}/${method.name}`, fallbackMs });
    }
  }
  const forward: BinaryForwarder = {
    async unary(method, request, ctx) {
      const target = relayTargets.get(method);
      if (target === undefined) throw new CoreError("unimplemented", `${method.name} is not a CRI unary method`);
      target.link.requireUp();
      const timeoutMs = upstreamTimeout(method, ctx, target.fallbackMs);
      try {
        return await callRawUnary(target.session, target.path, request, {
          ctx,
          timeoutMs,
          headers: forwardedOf(ctx),
          readMaxBytes: upstreamMaxBytes,
        });
      } catch (err) {
        throw target.link.failed(err, ctx.signal.aborted);
      }
    },
  };

  const core: Record<string, unknown> = { name: "remote" };
  core.forward = forward;
  // The runtime checks requests; its answers should reach clients as they are.
  core.checksRequests = true;
  const services: [DescService, Client<DescService>, ConnectionState][] = [
    [RuntimeService, runtimeClient as Client<DescService>, runtimeLink],
    [ImageService, imageClient as Client<DescService>, imageLink],
  ];
  for (const [service, client, link] of services) {
    const calls = client as unknown as AnyClient;
    for (const method of service.methods) {
      const key = method.localName;
      if (method.methodKind === "server_streaming") {
        // Streams (events, Stream* lists) are bounded only by the client's
        // own deadline: GetContainerEvents is meant to stay open.
        core[key] = async function* (request: Message, ctx: CallContext) {
          link.requireUp();
          try {
            yield* calls[key](request, callOptions(method, ctx, undefined)) as AsyncIterable<Message>;
          } catch (err) {
            // The contract: a stream ends (not fails) when ctx.signal aborts.
            if (ctx.signal.aborted) return;
            throw link.failed(err, false);
          }
        };
      } else {
        // Unary calls go through the raw relay too: encoding here and
        // decoding the reply is all the protobuf work a decoded call needs.
        const unary = method as DescMethodUnary;
        core[key] = async (request: Message, ctx: CallContext) =>
          fromBinary(unary.output, await forward.unary(unary, toBinary(unary.input, request), ctx));
      }
    }
  }

  core.health = async (): Promise<CoreHealth> => {
    const down = runtimeLink.health() ?? imageLink.health();
    if (down !== undefined) return down;
    try {
      await runtimeClient.version({ version: "v1" }, { timeoutMs: healthTimeoutMs });
      return { ready: true };
    } catch (err) {
      runtimeLink.failed(err, false);
      // Only the endpoint and a code: never upstream wording, paths or causes.
      const code = nodeErrorOf(err)?.code ?? (err instanceof ConnectError ? Code[err.code] : "error");
      return { ready: false, message: `runtime endpoint ${runtimeEndpoint.text} is not ready: ${code}` };
    }
  };

  let closed = false;
  core.close = async () => {
    if (closed) return;
    closed = true;
    runtimeLink.close();
    imageLink.close();
    runtimeDial.close();
    if (imageDial !== runtimeDial) imageDial.close();
    runtimeRelay.close();
    if (imageRelay !== runtimeRelay) imageRelay.close();
  };
  return withFallbacks(core as unknown as RuntimeCore, {
    runtimeEndpoint: runtimeEndpoint.text,
    imageEndpoint: imageEndpoint.text,
    maxMessageBytes: options.maxMessageBytes,
    eventsPollMs,
  });
}

function positiveSetting(
  settings: Readonly<Record<string, string>>,
  key: string,
  fallback: number,
  unit = "milliseconds",
): number {
  const value = settings[key];
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new CoreError("invalid_argument", `invalid ${key} "${value}": expected a positive whole number of ${unit}`);
  }
  return n;
}
