/**
 * The memory runtime's streaming server: serves the gateway URLs its Exec,
 * Attach and PortForward answers point at, over WebSocket with the
 * Kubernetes channel protocol (v5.channel.k8s.io, v4.channel.k8s.io). The
 * sessions run simulated processes (see stream-sessions.ts). SPDY/3.1 is
 * not served here; the gateway proxies it for remote runtimes.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { StreamingServer } from "../../core/runtime-core.js";
import {
  channelProtocols,
  parseProtocolHeader,
  pickChannelProtocol,
} from "../../streaming/channel-protocol.js";
import { refuseUpgrade } from "../../streaming/raw-response.js";
import type { StreamRoute } from "../../streaming/stream-route.js";
import type { MemoryState } from "./state.js";
import { runStreamSession } from "./stream-sessions.js";

/** Largest WebSocket message accepted from a client (stdin chunks are small). */
const maxClientMessageBytes = 1024 * 1024;

/** Build the streaming server over `state`'s pending sessions. */
export function createMemoryStreamServer(state: MemoryState): StreamingServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxClientMessageBytes,
    perMessageDeflate: false,
    handleProtocols: (offered) => pickChannelProtocol(offered) ?? false,
  });

  return {
    handleUpgrade(route: StreamRoute, request: IncomingMessage, socket: Duplex, head: Buffer) {
      // Checked before the token is taken, so a client that falls back from
      // one protocol to another can retry with the same URL.
      if (request.headers.upgrade?.toLowerCase() !== "websocket") {
        refuseUpgrade(
          socket,
          400,
          "invalid_argument",
          `the memory runtime streams over websocket only (${channelProtocols.join(", ")}); SPDY is proxied for remote runtimes`,
        );
        return;
      }
      if (pickChannelProtocol(parseProtocolHeader(request.headers["sec-websocket-protocol"])) === undefined) {
        refuseUpgrade(socket, 400, "invalid_argument", `offer one of the websocket subprotocols ${channelProtocols.join(", ")}`);
        return;
      }
      const session = state.sessions.take(route.token);
      if (session === undefined || session.kind !== route.kind) {
        refuseUpgrade(socket, 404, "not_found", "streaming session not found: the token is unknown, expired or already used");
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => runStreamSession(state, session, ws, request));
    },
  };
}
