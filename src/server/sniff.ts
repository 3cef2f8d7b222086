/**
 * Protocol detection for cleartext connections. HTTP/2 with prior knowledge
 * (h2c) opens with a fixed 24-octet preface (RFC 9113 §3.4); anything else is
 * HTTP/1.x. Detection runs once per connection, before the first request, and
 * costs nothing per request.
 */
import type { Socket } from "node:net";

/** The HTTP/2 client connection preface. */
export const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** Which server a cleartext connection belongs to. */
export type SniffedProtocol = "h1" | "h2";

/** How long a new connection may stay silent before it is dropped. */
export const defaultSniffTimeoutMs = 10_000;

/**
 * Classify the first bytes of a connection: "h2" once they hold the whole
 * preface, "h1" as soon as they differ from it, and undefined while they are
 * still a proper prefix of it (wait for more). HTTP/1 methods other than
 * "PRI" differ at the second octet at the latest, so HTTP/1 is decided early.
 */
export function classifyPreface(bytes: Uint8Array): SniffedProtocol | undefined {
  const n = Math.min(bytes.length, http2Preface.length);
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== http2Preface[i]) return "h1";
  }
  return n === http2Preface.length ? "h2" : undefined;
}

/**
 * Read from a fresh connection until {@link classifyPreface} can decide, then
 * put the bytes back (`socket.unshift`) and leave the socket paused, ready to
 * be handed to an HTTP server with `emit("connection", socket)`.
 *
 * Resolves undefined, after destroying the socket, when the client closes,
 * fails or stays undecided for `timeoutMs` (default 10 s): a client that
 * sends nothing, or half a preface, never reaches a server. Never rejects.
 */
export function sniffProtocol(
  socket: Socket,
  { timeoutMs = defaultSniffTimeoutMs }: { timeoutMs?: number } = {},
): Promise<SniffedProtocol | undefined> {
  return new Promise((resolve) => {
    let received: Buffer | undefined;
    const onData = (chunk: Buffer) => {
      received = received ? Buffer.concat([received, chunk]) : chunk;
      const protocol = classifyPreface(received);
      if (protocol) finish(protocol);
    };
    const onGone = () => finish(undefined);
    const timer = setTimeout(onGone, timeoutMs);
    timer.unref();
    socket.on("data", onData);
    socket.on("end", onGone);
    socket.on("close", onGone);
    socket.on("error", onGone);

    function finish(protocol: SniffedProtocol | undefined) {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onGone);
      socket.off("close", onGone);
      socket.off("error", onGone);
      if (protocol && received) {
        socket.pause();
        socket.unshift(received);
      } else {
        socket.destroy();
      }
      resolve(protocol);
    }
  });
}
