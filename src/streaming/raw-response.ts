/**
 * Answers written straight onto a socket taken over by an HTTP/1.1 upgrade
 * request, where no ServerResponse exists any more.
 */
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

/**
 * Refuse an upgrade: write `status` with a Connect-style JSON error body
 * (`{"code","message"}`, as everywhere else on the gateway) and close the
 * connection.
 */
export function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ code, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
      "content-type: application/json\r\n" +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      "connection: close\r\n\r\n" +
      body,
  );
}

/** The status line and headers of a response, as raw HTTP/1.1 text. */
export function toResponseHead(status: number, statusMessage: string, rawHeaders: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${statusMessage}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) head += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** True when the request asks to switch to WebSocket or SPDY (the two protocols CRI streaming speaks). */
export function wantsStreamUpgrade(headers: { upgrade?: string | undefined }): boolean {
  const upgrade = headers.upgrade?.toLowerCase() ?? "";
  return upgrade.includes("websocket") || upgrade.includes("spdy/");
}
