/**
 * Reads a JSON request body for the REST routes straight from the request
 * stream. body-parser (`express.json()`) finds no body on HTTP/2 (see
 * `http2-express.ts`), so the routes read it themselves, with a size limit.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { CoreError } from "../../core/core-error.js";
import type { AnyRequest } from "./call-context.js";

/** The largest REST request body accepted unless told otherwise (1 MiB). */
export const defaultMaxBodyBytes = 1024 * 1024;

/**
 * Read and parse the body of `req` as JSON. Throws CoreError:
 * invalid_argument when the content type is not JSON or the text does not
 * parse; resource_exhausted as soon as more than `limit` bytes arrive (or
 * are announced), without buffering the rest.
 */
export async function readJsonBody(req: AnyRequest, limit: number): Promise<unknown> {
  // NOTE: requiring application/json is a CSRF guard, not pedantry: a web
  // page can POST text/plain or a form to 127.0.0.1 without a CORS
  // preflight, but not application/json. The Connect protocol requires it too.
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    throw new CoreError("invalid_argument", `content-type must be application/json, got "${type || "none"}"`);
  }
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw tooLarge(declared, limit);
  const body = await readLimited(req, limit);
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch (err) {
    throw new CoreError("invalid_argument", `request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// NOTE: events, not `for await`: leaving a for-await loop destroys the
// request, and on HTTP/1.1 that destroys the socket before the 429 is sent.
function readLimited(req: AnyRequest, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onGone);
      req.off("close", onGone);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      // Keep the stream flowing (and discarded) so the reply is not stuck
      // behind a full receive window; the reply closes an HTTP/1.1 connection.
      req.resume();
      reject(tooLarge(size, limit));
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    // The client went away mid-body: nobody is left to answer, and it is
    // no bug of ours, so no "internal error" log line.
    const onGone = () => {
      cleanup();
      reject(new ConnectError("client closed the request", Code.Canceled));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onGone);
    req.on("close", onGone);
  });
}

function tooLarge(size: number, limit: number): CoreError {
  return new CoreError("resource_exhausted", `request body of ${size} bytes is larger than the limit of ${limit} bytes`);
}
