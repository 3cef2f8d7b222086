/**
 * Streaming through the gateway for cores that do not serve streams
 * themselves (the remote core, module cores): the URL a runtime returns from
 * Exec, Attach or PortForward points at its own streaming server, usually on
 * the node's loopback where remote clients cannot reach it. The gateway
 * swaps it for a single-use, short-lived URL on itself and, when the client
 * connects there, proxies the upgrade to the runtime's URL.
 */
import { type DescMethod, type Message, fromBinary, toBinary } from "@bufbuild/protobuf";
import { RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import type { CallContext } from "../core/call-context.js";
import { CoreError } from "../core/core-error.js";
import type { BinaryForwarder, RuntimeCore, StreamingServer } from "../core/runtime-core.js";
import { refuseUpgrade } from "./raw-response.js";
import { type StreamKind, toStreamUrl } from "./stream-route.js";
import { TokenCacheFullError, createTokenCache } from "./token-cache.js";
import { proxyUpgrade } from "./upgrade-proxy.js";

/**
 * How long a rewritten URL stays valid: the kubelet streaming server's own
 * request cache keeps tokens for one minute, so ours never outlives theirs by much.
 */
export const defaultStreamTokenTtlMs = 60_000;

/** The proxy: wrap a core so its streaming URLs point here, and serve them. */
export interface StreamingProxy {
  /** `core` with Exec, Attach and PortForward answering gateway URLs. */
  wrap(core: RuntimeCore): RuntimeCore;
  /** Serves the rewritten URLs by proxying to the runtime's. */
  readonly server: StreamingServer;
}

interface Pending {
  readonly kind: StreamKind;
  readonly target: URL;
}

/**
 * Create a proxy whose URLs start with `gatewayUrl()` (read per call, as the
 * port may be chosen at listen time; empty means no TCP listener, and the
 * runtime's URL is then returned unchanged). Tokens are single use and expire after
 * `ttlMs`; at most `maxPending` wait at a time (more: resource_exhausted).
 */
export function createStreamingProxy({
  gatewayUrl,
  ttlMs = defaultStreamTokenTtlMs,
  maxPending = 1000,
  now,
}: {
  gatewayUrl: () => string;
  ttlMs?: number;
  maxPending?: number;
  now?: () => number;
}): StreamingProxy {
  const tokens = createTokenCache<Pending>({ ttlMs, maxPending, now });

  const rewrite = (kind: StreamKind, url: string): string => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new CoreError("unavailable", `the runtime returned a ${kind} URL that is not absolute; the gateway cannot proxy it`);
    }
    if (target.protocol !== "http:" && target.protocol !== "https:") {
      throw new CoreError("unavailable", `the runtime returned a ${kind} URL with scheme ${target.protocol}; the gateway proxies http and https only`);
    }
    const base = gatewayUrl();
    // Without a TCP listener the gateway has no URL to offer; the runtime's
    // own still serves clients on the node (crictl next to the runtime).
    if (base === "") return url;
    try {
      return toStreamUrl(base, { kind, token: tokens.put({ kind, target }) });
    } catch (err) {
      if (err instanceof TokenCacheFullError) throw new CoreError("resource_exhausted", err.message);
      throw err;
    }
  };

  const rewriting = <R extends Message & { url: string }>(
    kind: StreamKind,
    call: (request: never, ctx: CallContext) => Promise<R>,
  ) =>
    async (request: never, ctx: CallContext): Promise<R> => {
      const response = await call(request, ctx);
      response.url = rewrite(kind, response.url);
      return response;
    };

  return {
    wrap(core) {
      // Everything else is the core's own, found through the prototype.
      const wrapped: RuntimeCore = Object.assign(Object.create(core) as RuntimeCore, {
        exec: rewriting("exec", core.exec.bind(core)),
        attach: rewriting("attach", core.attach.bind(core)),
        portForward: rewriting("portforward", core.portForward.bind(core)),
      });
      const relay = core.forward;
      if (relay !== undefined) {
        // Encoded Exec/Attach/PortForward calls must be decoded after all:
        // their URL is what gets rewritten.
        const rewritten = new Map<DescMethod, (request: never, ctx: CallContext) => Promise<Message>>([
          [RuntimeService.method.exec, wrapped.exec],
          [RuntimeService.method.attach, wrapped.attach],
          [RuntimeService.method.portForward, wrapped.portForward],
        ]);
        Object.assign(wrapped, {
          forward: {
            async unary(method, request, ctx) {
              const call = rewritten.get(method);
              if (call === undefined) return relay.unary(method, request, ctx);
              const reply = await call(fromBinary(method.input, request) as never, ctx);
              return toBinary(method.output, reply);
            },
          } satisfies BinaryForwarder,
        });
      }
      return wrapped;
    },
    server: {
      handleUpgrade(route, request, socket, head) {
        const pending = tokens.take(route.token);
        if (pending === undefined || pending.kind !== route.kind) {
          refuseUpgrade(socket, 404, "not_found", "streaming session not found: the token is unknown, expired or already used");
          return;
        }
        proxyUpgrade({ request, socket, head, target: pending.target });
      },
    },
  };
}
