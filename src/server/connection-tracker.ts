/**
 * Bookkeeping for graceful shutdown: every accepted socket, which of them
 * carry HTTP/1 and how many requests each has in flight, and every HTTP/2
 * session. `drain()` turns that into the close sequence, so nothing leaks.
 */
import type { ServerResponse } from "node:http";
import type { Http2Session } from "node:http2";
import type { Duplex } from "node:stream";

/**
 * The default time in-flight requests get to finish when `Serving.close()`
 * is called without `graceMs`. `startGateway()` passes its own default
 * (`defaultGraceMs` in gateway.ts, 10 s), so this applies to direct users of
 * `serve()`.
 */
export const defaultServerGraceMs = 5000;

/** Tracks the connections of one `serve()` call. Create with {@link createConnectionTracker}. */
export interface ConnectionTracker {
  /** True once {@link ConnectionTracker.drain} was called. */
  readonly closing: boolean;
  /**
   * A socket accepted by one of our listeners. It is destroyed if still open
   * when the grace period ends, and drain waits for it to close.
   */
  addSocket(socket: Duplex): void;
  /** Mark a socket as still in protocol detection (true) or past it (false); drain drops such sockets at once. */
  setSniffing(socket: Duplex, sniffing: boolean): void;
  /** A socket handed to an HTTP/1 server (over TLS: the TLSSocket). Destroyed at once when closing. */
  addHttp1(socket: Duplex): void;
  /**
   * An HTTP/1 socket switched to another protocol (a streaming session): no
   * longer idle HTTP/1, so closing leaves it its grace period instead of
   * dropping it at once; it is destroyed when the grace period ends.
   */
  markUpgraded(socket: Duplex): void;
  /** An HTTP/1 request on a socket passed to {@link ConnectionTracker.addHttp1}; call from the 'request' event. */
  addHttp1Request(socket: Duplex, res: ServerResponse): void;
  /** An HTTP/2 session. Sent GOAWAY at once when closing. */
  addSession(session: Http2Session): void;
  /**
   * Close everything gracefully: drop connections still in detection and
   * idle HTTP/1 keep-alive connections, answer in-flight HTTP/1 requests with
   * `Connection: close`, send GOAWAY to HTTP/2 sessions so their open streams
   * finish; after `graceMs` destroy whatever is left. Resolves once every
   * socket has closed. Stop the listeners before calling it. Idempotent.
   */
  drain(graceMs?: number): Promise<void>;
}

interface Http1State {
  responses: Set<ServerResponse>;
}

/** Create an empty tracker. */
export function createConnectionTracker(): ConnectionTracker {
  const sockets = new Set<Duplex>();
  const sniffing = new Set<Duplex>();
  const http1 = new Map<Duplex, Http1State>();
  const sessions = new Set<Http2Session>();
  let closing = false;
  let drained: Promise<void> | undefined;
  let onAllClosed: (() => void) | undefined;

  const allClosed = () =>
    new Promise<void>((resolve) => {
      if (sockets.size === 0) resolve();
      else onAllClosed = resolve;
    });

  const closeConnection = (socket: Duplex, state: Http1State) => {
    if (state.responses.size > 0) {
      // Let the response finish; Node closes the connection after a response
      // that says "Connection: close", and we end those that said keep-alive.
      for (const res of state.responses) if (!res.headersSent) res.setHeader("connection", "close");
    } else {
      socket.destroy();
    }
  };

  return {
    get closing() {
      return closing;
    },
    addSocket(socket) {
      sockets.add(socket);
      socket.once("close", () => {
        sockets.delete(socket);
        sniffing.delete(socket);
        if (sockets.size === 0) onAllClosed?.();
      });
    },
    setSniffing(socket, on) {
      if (on) sniffing.add(socket);
      else sniffing.delete(socket);
    },
    addHttp1(socket) {
      if (closing) {
        socket.destroy();
        return;
      }
      http1.set(socket, { responses: new Set() });
      socket.once("close", () => http1.delete(socket));
    },
    markUpgraded(socket) {
      http1.delete(socket);
    },
    addHttp1Request(socket, res) {
      const state = http1.get(socket);
      if (!state) return;
      state.responses.add(res);
      if (closing && !res.headersSent) res.setHeader("connection", "close");
      res.once("close", () => {
        state.responses.delete(res);
        if (closing && state.responses.size === 0) socket.end();
      });
    },
    addSession(session) {
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
      if (closing) session.close();
    },
    drain(graceMs = defaultServerGraceMs) {
      drained ??= (async () => {
        closing = true;
        for (const socket of sniffing) socket.destroy();
        for (const [socket, state] of http1) closeConnection(socket, state);
        for (const session of sessions) session.close();
        let timer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        });
        await Promise.race([allClosed(), graceOver]);
        clearTimeout(timer);
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
        await allClosed();
      })();
      return drained;
    },
  };
}
