/**
 * Proxies one streaming upgrade (WebSocket or SPDY/3.1, whichever the client
 * asked for) to the runtime's own streaming server. The gateway does not
 * speak either protocol here: it replays the client's request head to the
 * upstream URL and, once the upstream switches protocols, splices the two
 * connections byte for byte, both directions, with back-pressure (`pipe`).
 */
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { log } from "../observability/logger.js";
import { refuseUpgrade, toResponseHead } from "./raw-response.js";

/** How long the upstream may take to answer the upgrade request. */
export const defaultUpstreamHandshakeMs = 10_000;

// Credentials for the gateway are not credentials for the runtime; the rest
// (Upgrade, Sec-WebSocket-*, X-Stream-Protocol-Version, …) must pass as sent.
const droppedHeaders = new Set(["host", "authorization", "proxy-authorization", "cookie", "proxy-connection"]);

/**
 * Replay `request` (already upgraded off the gateway's HTTP server) to
 * `target`, the URL the runtime returned from Exec/Attach/PortForward, and
 * splice the connections once it answers 101. The client's query string is
 * appended to the target's. A non-101 answer is relayed to the client as is
 * (e.g. the runtime's 404 for its own expired token); an unreachable upstream
 * is 502, a silent one 504. Never throws.
 */
export function proxyUpgrade({
  request,
  socket,
  head,
  target,
  handshakeMs = defaultUpstreamHandshakeMs,
}: {
  request: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  target: URL;
  handshakeMs?: number;
}): void {
  const headers: Record<string, string | string[]> = {};
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (droppedHeaders.has(name.toLowerCase())) continue;
    const seen = headers[name];
    headers[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  headers.Host = target.host;

  const query = request.url?.includes("?") ? request.url.slice(request.url.indexOf("?") + 1) : "";
  const path = target.pathname + (target.search === "" ? (query === "" ? "" : `?${query}`) : query === "" ? target.search : `${target.search}&${query}`);
  const upstreamOrigin = target.origin;

  const upstream = (target.protocol === "https:" ? https : http).request({
    protocol: target.protocol,
    hostname: target.hostname.replace(/^\[|\]$/g, ""),
    port: target.port,
    method: request.method,
    path,
    headers,
    agent: false,
    setHost: false,
  });
  let settled = false;
  const timer = setTimeout(() => {
    if (settled) return;
    settled = true;
    upstream.destroy();
    refuseUpgrade(socket, 504, "deadline_exceeded", `runtime streaming server ${upstreamOrigin} did not answer within ${handshakeMs} ms`);
  }, handshakeMs);
  timer.unref();
  // A client that leaves during the handshake must not leave the upstream request open.
  const onClientGone = () => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    upstream.destroy();
  };
  socket.once("close", onClientGone);
  // The gateway's HTTP/1 sockets allow half-open connections, so a client that leaves sends only a FIN.
  socket.once("end", () => {
    if (!settled) socket.destroy();
  });
  socket.on("error", () => socket.destroy());

  upstream.on("upgrade", (response: IncomingMessage, upstreamSocket: Socket, upstreamHead: Buffer) => {
    if (settled) {
      upstreamSocket.destroy();
      return;
    }
    settled = true;
    clearTimeout(timer);
    socket.off("close", onClientGone);
    socket.write(toResponseHead(response.statusCode ?? 101, response.statusMessage ?? "Switching Protocols", response.rawHeaders));
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (head.length > 0) upstreamSocket.write(head);
    splice(socket, upstreamSocket);
  });

  upstream.on("response", (response: IncomingMessage) => {
    if (settled) {
      response.destroy();
      return;
    }
    settled = true;
    clearTimeout(timer);
    // The body is relayed as Node decoded it, delimited by closing the connection.
    const kept = response.rawHeaders.filter((_, i, all) => {
      const name = (i % 2 === 0 ? all[i] : all[i - 1])?.toLowerCase();
      return name !== "transfer-encoding" && name !== "content-length" && name !== "connection";
    });
    socket.write(toResponseHead(response.statusCode ?? 502, response.statusMessage ?? "", [...kept, "connection", "close"]));
    response.pipe(socket);
    response.on("error", () => socket.destroy());
  });

  upstream.on("error", (err: NodeJS.ErrnoException) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    const code = err.code ?? "error";
    log.warn("streaming upstream unreachable", { upstream: upstreamOrigin, code });
    refuseUpgrade(socket, 502, "unavailable", `runtime streaming server ${upstreamOrigin} is unreachable: ${code}`);
  });
  upstream.end();
}

/**
 * Join two upgraded connections: bytes flow both ways with back-pressure,
 * an end (FIN) on one side ends the other's writes, and when either closes
 * or fails both are torn down.
 */
function splice(client: Duplex, upstream: Socket): void {
  upstream.setNoDelay(true);
  client.pipe(upstream);
  upstream.pipe(client);
  const teardown = () => {
    client.destroy();
    upstream.destroy();
  };
  client.once("close", teardown);
  upstream.once("close", teardown);
  upstream.on("error", teardown);
  client.on("error", teardown);
}
