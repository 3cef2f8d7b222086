/**
 * Declining an HTTP/1.1 upgrade offer. Node's HTTP server hands every
 * request carrying `Connection: upgrade` to the 'upgrade' listener once one
 * exists, so offers the gateway does not take — curl's `--http2` sends
 * `Upgrade: h2c` on every first request — are given back: the request head
 * is rebuilt without the offer, put back in front of the unread bytes, and
 * the connection is handed to the HTTP server again, which then answers it
 * over HTTP/1.1 as if no upgrade had been offered (RFC 9110 §7.8 lets a
 * server ignore Upgrade).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

// The offer and what only makes sense with it (the h2c upgrade's SETTINGS).
const offerHeaders = new Set(["upgrade", "http2-settings"]);

/** The request head of `req` as HTTP/1.1 text, without its upgrade offer. */
export function headWithoutUpgrade(req: IncomingMessage): string {
  let head = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (offerHeaders.has(lower)) continue;
    let value = raw[i + 1] as string;
    if (lower === "connection") {
      value = value
        .split(",")
        .map((token) => token.trim())
        .filter((token) => token !== "" && !offerHeaders.has(token.toLowerCase()))
        .join(", ");
      if (value === "") continue;
    }
    head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

/**
 * Give `socket` back to an HTTP server through `reconnect` (which emits the
 * server's connection event) with `req` replayed minus its upgrade offer,
 * followed by `head`, the bytes already read past the request head.
 */
export function declineUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, reconnect: (socket: Duplex) => void): void {
  socket.unshift(Buffer.concat([Buffer.from(headWithoutUpgrade(req), "latin1"), head]));
  reconnect(socket);
}

/**
 * Run `take` once the connection has no response still being written. An
 * upgrade request may be pipelined behind a request whose response is not
 * finished; Node queues responses per connection, and a connection handed
 * back (or switched to another protocol) before that one is done would lose
 * it or mix bytes into it.
 */
export function whenResponsesDone(socket: Duplex, take: () => void): void {
  const open = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (open != null && !open.writableFinished) open.once("finish", take);
  else take();
}
