/**
 * Pending Exec/Attach/PortForward sessions: each answer of those RPCs is a
 * URL on the gateway carrying a random single-use token, and the session it
 * names waits here until the streaming endpoint takes it or it expires
 * (kubelet's streaming server keeps the same kind of request cache).
 */
import type { AttachRequest, ExecRequest, PortForwardRequest } from "../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../core/core-error.js";
import { TokenCacheFullError, createTokenCache } from "../../streaming/token-cache.js";
import type { Clock } from "./clock.js";

/** A session waiting for its client to connect. */
export type StreamingSession =
  | { readonly kind: "exec"; readonly request: ExecRequest; readonly containerId: string }
  | { readonly kind: "attach"; readonly request: AttachRequest; readonly containerId: string }
  | { readonly kind: "portforward"; readonly request: PortForwardRequest; readonly podSandboxId: string };

/** The kinds of session, also the URL path segment (`/stream/exec/<token>`). */
export type StreamingKind = StreamingSession["kind"];

/** The pending-session cache. */
export interface StreamingSessions {
  /** Number of sessions not yet taken (expired ones may be counted until the next create). */
  readonly size: number;
  /** Store a session and return its token. Throws resource_exhausted when too many are pending. */
  create(session: StreamingSession): string;
  /** Take (and forget) the session for `token`; undefined when unknown, taken or expired. */
  take(token: string): StreamingSession | undefined;
}

/** Create an empty cache on the runtime's clock (nanoseconds). */
export function createStreamingSessions({
  clock,
  ttlMs,
  maxPending = 1000,
}: {
  clock: Clock;
  ttlMs: number;
  maxPending?: number;
}): StreamingSessions {
  const cache = createTokenCache<StreamingSession>({ ttlMs, maxPending, now: () => Number(clock() / 1_000_000n) });
  return {
    get size() {
      return cache.size;
    },
    create(session) {
      try {
        return cache.put(session);
      } catch (err) {
        if (err instanceof TokenCacheFullError) throw new CoreError("resource_exhausted", err.message);
        throw err;
      }
    },
    take: (token) => cache.take(token),
  };
}
