/**
 * The memory runtime's streaming server: serves the gateway URLs its Exec,
 * Attach and PortForward answers point at, over either protocol kubelet
 * clients speak — WebSocket with the channel protocol (v5.channel.k8s.io,
 * v4.channel.k8s.io) and SPDY/3.1 with v4.channel.k8s.io (crictl's and
 * kubectl's default); port forwarding over WebSocket (v4.channel.k8s.io) or
 * SPDY/3.1 (portforward.k8s.io). The sessions themselves are in
 * stream-sessions.ts.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { WebSocket } from "ws";
import type { StreamingServer } from "../../core/runtime-core.js";
import {
  channelClose,
  channelError,
  failureStatus,
  channelProtocolV4,
  channelProtocolV5,
  channelProtocols,
  channelStdin,
  parseProtocolHeader,
  pickChannelProtocol,
  toChannelFrame,
} from "../../streaming/channel-protocol.js";
import { refuseUpgrade } from "../../streaming/raw-response.js";
import { type SpdyStream, serveSpdy } from "../../streaming/spdy/spdy-connection.js";
import type { StreamRoute } from "../../streaming/stream-route.js";
import type { MemoryState } from "./state.js";
import { type Channels, runStreamSession } from "./stream-sessions.js";
import type { StreamingSession } from "./streaming-sessions.js";

/** The SPDY port-forwarding protocol (kubectl's and crictl's port-forward). */
const portForwardProtocol = "portforward.k8s.io";
/** Largest WebSocket message accepted from a client (stdin chunks are small). */
const maxClientMessageBytes = 1024 * 1024;
/** How long a SPDY client may take to open the streams its session needs (the kubelet's default). */
const spdyStreamCreationMs = 30_000;
/** SPDY stream types, by the channel numbers sessions use. */
const spdyChannels = new Map([
  ["stdin", 0],
  ["stdout", 1],
  ["stderr", 2],
  ["error", 3],
  ["resize", 4],
]);

/** Build the streaming server over `state`'s pending sessions. */
export function createMemoryStreamServer(state: MemoryState): StreamingServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxClientMessageBytes,
    perMessageDeflate: false,
    handleProtocols: (offered) => pickChannelProtocol(offered) ?? false,
  });

  /** How to end each open session at shutdown. */
  const open = new Set<() => void>();
  const track = (end: () => void, gone: AbortSignal) => {
    open.add(end);
    gone.addEventListener("abort", () => open.delete(end), { once: true });
  };

  /** Take the session behind the token; answers 404 and returns undefined when there is none. */
  const take = (route: StreamRoute, socket: Duplex): StreamingSession | undefined => {
    const session = state.sessions.take(route.token);
    if (session === undefined || session.kind !== route.kind) {
      refuseUpgrade(socket, 404, "not_found", "streaming session not found: the token is unknown, expired or already used");
      return undefined;
    }
    return session;
  };

  return {
    handleUpgrade(route: StreamRoute, request: IncomingMessage, socket: Duplex, head: Buffer) {
      // Everything is checked before the token is taken, so a client that
      // falls back from one protocol to the other can retry the same URL.
      const upgrade = request.headers.upgrade?.toLowerCase() ?? "";
      if (upgrade === "websocket") {
        if (pickChannelProtocol(parseProtocolHeader(request.headers["sec-websocket-protocol"])) === undefined) {
          refuseUpgrade(socket, 400, "invalid_argument", `offer one of the websocket subprotocols ${channelProtocols.join(", ")}`);
          return;
        }
        const session = take(route, socket);
        if (session === undefined) return;
        wss.handleUpgrade(request, socket, head, (ws) => serveWebSocket(state, session, ws, request, track));
        return;
      }
      if (upgrade.startsWith("spdy/3.1")) {
        const offered = parseProtocolHeader(request.headers["x-stream-protocol-version"] as string | undefined);
        if (route.kind === "portforward") {
          if (!offered.includes(portForwardProtocol)) {
            refuseUpgrade(socket, 400, "invalid_argument", `offer X-Stream-Protocol-Version ${portForwardProtocol} to forward ports over SPDY`);
            return;
          }
          const session = take(route, socket);
          if (session === undefined || session.kind !== "portforward") return;
          socket.write(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" +
              `X-Stream-Protocol-Version: ${portForwardProtocol}\r\n\r\n`,
          );
          if (head.length > 0) socket.unshift(head);
          serveSpdyPortForward(socket, track);
          return;
        }
        if (!offered.includes(channelProtocolV4)) {
          refuseUpgrade(socket, 400, "invalid_argument", `offer X-Stream-Protocol-Version ${channelProtocolV4} for SPDY streaming`);
          return;
        }
        const session = take(route, socket);
        if (session === undefined || session.kind === "portforward") return;
        socket.write(
          "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" +
            `X-Stream-Protocol-Version: ${channelProtocolV4}\r\n\r\n`,
        );
        if (head.length > 0) socket.unshift(head);
        serveSpdySession(state, session, socket, track);
        return;
      }
      refuseUpgrade(socket, 400, "invalid_argument", `upgrade to websocket (${channelProtocols.join(", ")}) or SPDY/3.1`);
    },
    shutdown() {
      for (const end of [...open]) end();
    },
  };
}

/** A session over WebSocket: one message per write, the channel in its first byte. */
/** Registers how to end a session at shutdown, until `gone` aborts. */
type Track = (end: () => void, gone: AbortSignal) => void;

/** The status a session open at shutdown ends with. */
const shuttingDown = failureStatus("the gateway is shutting down");

function serveWebSocket(state: MemoryState, session: StreamingSession, ws: WebSocket, request: IncomingMessage, track: Track): void {
  const gone = new AbortController();
  const channels: Channels = {
    send(channel, data) {
      if (ws.readyState === ws.OPEN) ws.send(toChannelFrame(channel, data));
    },
    finish(status) {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(toChannelFrame(channelError, status));
      ws.close(1000);
    },
    signal: gone.signal,
  };
  ws.on("close", () => gone.abort());
  ws.on("error", () => ws.terminate());
  track(() => channels.finish(shuttingDown), gone.signal);
  const ports = session.kind === "portforward" ? portsOf(request, session.request.port) : [];
  const input = runStreamSession(state, session, channels, ports);
  // v5 clients say when they close stdin; v4 clients cannot.
  const canCloseStdin = ws.protocol === channelProtocolV5;
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return;
    const channel = data[0] as number;
    if (session.kind === "portforward") input.pushTo(channel, data.subarray(1));
    else if (channel === channelClose && canCloseStdin && data[1] === channelStdin) input.end();
    else if (channel === channelStdin) input.push(data.subarray(1));
  });
}

/**
 * A session over SPDY: the client opens one stream per channel, named by
 * its `streamType` header; the session starts once every stream it needs is
 * open (error always; stdin, stdout, stderr as requested; resize with tty).
 */
function serveSpdySession(
  state: MemoryState,
  session: Extract<StreamingSession, { kind: "exec" | "attach" }>,
  socket: Duplex,
  track: Track,
): void {
  const { request } = session;
  const needed = new Set(["error"]);
  if (request.stdin) needed.add("stdin");
  if (request.stdout) needed.add("stdout");
  if (request.stderr) needed.add("stderr");
  if (request.tty) needed.add("resize");
  const streams = new Map<number, SpdyStream>();
  const gone = new AbortController();
  let started = false;

  const connection = serveSpdy(socket, {
    onStream(stream) {
      const channel = spdyChannels.get(stream.headers.get("streamtype") ?? "");
      if (channel === undefined || streams.has(channel)) {
        stream.end();
        return;
      }
      streams.set(channel, stream);
      needed.delete(stream.headers.get("streamtype") as string);
      if (needed.size === 0 && !started) start();
    },
    onClose() {
      clearTimeout(timer);
      gone.abort();
    },
  });
  const timer = setTimeout(() => connection.end(), spdyStreamCreationMs);
  timer.unref();
  track(() => (started ? finish(shuttingDown) : connection.end()), gone.signal);
  let finish = (_status: string) => {};

  function start() {
    started = true;
    clearTimeout(timer);
    const channels: Channels = {
      send(channel, data) {
        streams.get(channel)?.write(data);
      },
      finish(status) {
        streams.get(channelError)?.write(status);
        for (const stream of streams.values()) stream.end();
        connection.end();
      },
      signal: gone.signal,
    };
    finish = channels.finish;
    const input = runStreamSession(state, session, channels, []);
    const stdin = streams.get(channelStdin);
    if (stdin !== undefined) {
      stdin.onData = (bytes) => input.push(bytes);
      stdin.onEnd = () => input.end();
    }
  }
}

/**
 * Port forwarding over SPDY: the client opens an error and a data stream per
 * connection it forwards (headers `streamType`, `port`, `requestID`), on one
 * SPDY connection for as long as it likes. Each port of the simulated pod
 * answers as an echo service: what arrives on a data stream goes back on it.
 */
function serveSpdyPortForward(socket: Duplex, track: Track): void {
  const errors = new Map<string, SpdyStream>();
  const gone = new AbortController();
  const connection = serveSpdy(socket, {
    onStream(stream) {
      const requestId = stream.headers.get("requestid") ?? "";
      const port = Number(stream.headers.get("port"));
      const type = stream.headers.get("streamtype");
      if (type === "error") {
        errors.set(requestId, stream);
        return;
      }
      if (type !== "data") {
        stream.end();
        return;
      }
      const error = errors.get(requestId);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        error?.write(`invalid port ${JSON.stringify(stream.headers.get("port") ?? "")}`);
        error?.end();
        stream.end();
        return;
      }
      stream.onData = (bytes) => stream.write(bytes);
      stream.onEnd = () => {
        stream.end();
        error?.end();
        errors.delete(requestId);
      };
    },
    onClose() {
      gone.abort();
    },
  });
  track(() => connection.end(), gone.signal);
}

/** Ports to forward: the `port` query parameters (as the kubelet reads them for WebSocket), else the request's. */
function portsOf(request: IncomingMessage, requested: readonly number[]): number[] {
  const query = new URL(request.url ?? "/", "http://gateway").searchParams.getAll("port");
  return query.length > 0 ? query.map(Number) : [...requested];
}
