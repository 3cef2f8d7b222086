/**
 * Node request headers as web `Headers`, the form CallContext carries. Shared
 * by the unary fast path and the REST routes so both hand cores the same
 * thing.
 */
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";

/** Copy request headers into web Headers, leaving out HTTP/2 pseudo-headers (`:path`, …). */
export function toWebHeaders(req: IncomingMessage | Http2ServerRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}
