/**
 * Pending Exec/Attach/PortForward sessions: each answer of those RPCs is a
 * URL on the gateway carrying a random single-use token, and the session it
 * names waits here until the streaming endpoint takes it or it expires
 * (kubelet's streaming server keeps the same kind of request cache).
 */
import type { AttachRequest, ExecRequest, PortForwardRequest } from "../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../core/core-error.js";
import type { Clock } from "./clock.js";
import { newToken } from "./new-id.js";

/** A session waiting for its client to connect. */
export type StreamingSession =
  | { readonly kind: "exec"; readonly token: string; readonly request: ExecRequest; readonly containerId: string; readonly expiresAt: bigint }
  | { readonly kind: "attach"; readonly token: string; readonly request: AttachRequest; readonly containerId: string; readonly expiresAt: bigint }
  | {
      readonly kind: "portforward";
      readonly token: string;
      readonly request: PortForwardRequest;
      readonly podSandboxId: string;
      readonly expiresAt: bigint;
    };

/** The kinds of session, also the URL path segment (`/stream/exec/<token>`). */
export type StreamingKind = StreamingSession["kind"];

/** Distributive Omit, so each member of the union keeps its own fields. */
type NewSession<S> = S extends StreamingSession ? Omit<S, "token" | "expiresAt"> : never;

/** The pending-session cache. */
export interface StreamingSessions {
  /** Number of sessions not yet taken (expired ones may be counted until the next create). */
  readonly size: number;
  /** Store a session and return its token. Throws resource_exhausted when too many are pending. */
  create(session: NewSession<StreamingSession>): string;
  /** Take (and forget) the session for `token`; undefined when unknown, taken or expired. */
  take(token: string): StreamingSession | undefined;
}

/**
 * Create an empty cache. Expired sessions are dropped lazily on create and
 * take, so the cache needs no timer.
 */
export function createStreamingSessions({
  clock,
  ttlMs,
  maxPending = 1000,
}: {
  clock: Clock;
  ttlMs: number;
  maxPending?: number;
}): StreamingSessions {
  // Map keeps insertion order, which is also expiry order: sweeping stops at
  // the first live session.
  const sessions = new Map<string, StreamingSession>();
  const ttlNs = BigInt(Math.round(ttlMs * 1e6));

  const sweep = (now: bigint) => {
    for (const [token, session] of sessions) {
      if (session.expiresAt > now) break;
      sessions.delete(token);
    }
  };

  return {
    get size() {
      return sessions.size;
    },
    create(init) {
      const now = clock();
      sweep(now);
      if (sessions.size >= maxPending) {
        throw new CoreError("resource_exhausted", `too many pending streaming sessions (limit ${maxPending})`);
      }
      const token = newToken();
      sessions.set(token, { ...init, token, expiresAt: now + ttlNs } as StreamingSession);
      return token;
    },
    take(token) {
      const session = sessions.get(token);
      if (session === undefined) return undefined;
      sessions.delete(token);
      return session.expiresAt > clock() ? session : undefined;
    },
  };
}
