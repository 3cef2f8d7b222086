/**
 * Runs the real curl binary (/usr/bin/curl) against the gateway, over TCP or
 * `--unix-socket`, HTTP/1.1 or `--http2-prior-knowledge`, and parses what it
 * printed into status, headers and body.
 */
import { execFile } from "node:child_process";

/** The curl binary the tests use. */
export const curlPath = "/usr/bin/curl";

/** How to reach the gateway with curl. */
export interface CurlTarget {
  /** TCP base URL (`http://127.0.0.1:PORT`). Ignored for the host part when `socketPath` is set. */
  readonly url: string;
  /** Send over this unix socket (`--unix-socket`). */
  readonly socketPath?: string;
  /** Use HTTP/2 with prior knowledge instead of HTTP/1.1. */
  readonly http2?: boolean;
}

/** One request. */
export interface CurlRequest {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** Request body, sent as is (`--data-binary @-` from stdin). */
  readonly body?: string | Uint8Array;
  /** Give up after this many seconds (`--max-time`). Default 10. */
  readonly maxTimeSeconds?: number;
}

/** What curl received. */
export interface CurlResponse {
  /** "1.1" or "2". */
  readonly httpVersion: string;
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Run curl once and parse its output. Rejects when curl itself fails (exit code ≠ 0). */
export function runCurl(target: CurlTarget, request: CurlRequest): Promise<CurlResponse> {
  const { method = "POST", path, headers = {}, body, maxTimeSeconds = 10 } = request;
  const args = ["--silent", "--show-error", "--include", "--max-time", String(maxTimeSeconds), "-X", method];
  args.push(target.http2 === true ? "--http2-prior-knowledge" : "--http1.1");
  if (target.socketPath !== undefined) args.push("--unix-socket", target.socketPath);
  // No "Expect: 100-continue" round trip for larger bodies.
  args.push("-H", "Expect:");
  for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}: ${value}`);
  if (body !== undefined) args.push("--data-binary", "@-");
  const base = target.socketPath === undefined ? target.url : "http://localhost";
  args.push(`${base}${path}`);
  return new Promise((resolve, reject) => {
    const child = execFile(
      curlPath,
      args,
      { encoding: "buffer", maxBuffer: 64 * 1024 * 1024, timeout: (maxTimeSeconds + 5) * 1000 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`curl ${args.join(" ")} failed: ${err.message} ${stderr.toString()}`));
          return;
        }
        try {
          resolve(parseCurlOutput(stdout));
        } catch (parseErr) {
          reject(parseErr);
        }
      },
    );
    child.stdin?.end(body === undefined ? undefined : typeof body === "string" ? body : Buffer.from(body));
  });
}

/**
 * POST a Connect JSON request to `/<service>/<method>` and parse the JSON
 * reply (`json` is undefined when the body is not JSON).
 */
export async function curlJson(
  target: CurlTarget,
  rpc: string,
  message: unknown,
  headers: Record<string, string> = {},
): Promise<CurlResponse & { json: unknown }> {
  const response = await runCurl(target, {
    path: rpc.startsWith("/") ? rpc : `/runtime.v1.${rpc}`,
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof message === "string" ? message : JSON.stringify(message),
  });
  let json: unknown;
  try {
    json = JSON.parse(response.body);
  } catch {
    json = undefined;
  }
  return { ...response, json };
}

/** Split `--include` output into the final head (after any 1xx) and the body. */
function parseCurlOutput(output: Buffer): CurlResponse {
  let rest = output;
  for (let guard = 0; guard < 5; guard++) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) throw new Error(`curl printed no header block: ${rest.toString("latin1").slice(0, 200)}`);
    const head = rest.subarray(0, end).toString("latin1").split("\r\n");
    rest = rest.subarray(end + 4);
    const match = /^HTTP\/(\S+) (\d{3})/.exec(head[0] ?? "");
    if (match === null) throw new Error(`unexpected status line "${head[0]}"`);
    const status = Number(match[2]);
    if (status >= 100 && status < 200) continue;
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { httpVersion: match[1] ?? "", status, headers, body: rest.toString("utf8") };
  }
  throw new Error("too many informational responses");
}
