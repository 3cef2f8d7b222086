/**
 * Reads a whole request body for the unary fast paths, refusing more than a
 * limit without buffering it.
 */
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";

/**
 * Collect the body of `req`. Calls `onBody` once with the bytes, or
 * `onTooLarge` as soon as more than `limit` bytes arrive (or are announced
 * by Content-Length), after which the rest is ignored.
 */
export function readBody(
  req: IncomingMessage | Http2ServerRequest,
  limit: number,
  onBody: (body: Buffer) => void,
  onTooLarge: (size: number) => void,
): void {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    onTooLarge(Number(declared));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  req.on("data", (chunk: Buffer) => {
    if (refused) return;
    size += chunk.byteLength;
    if (size > limit) {
      refused = true;
      onTooLarge(size);
      return;
    }
    chunks.push(chunk);
  });
  req.on("end", () => {
    if (refused) return;
    onBody(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
  });
}
