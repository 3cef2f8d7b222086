/**
 * Helpers for the server tests: temp dirs, an echoing handler, and one small
 * client per protocol and transport. Named .test.ts so it never ships; it
 * holds no tests itself.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RequestHandler } from "./serve-options.js";

/** What {@link echoHandler} answers with. */
export interface Echo {
  httpVersion: string;
  method: string;
  path: string;
  authority: string | undefined;
  headers: Record<string, string>;
}

/** A handler that answers 200 with a JSON {@link Echo} of the request. */
export const echoHandler: RequestHandler = (req, res) => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(", ");
  }
  const echo: Echo = {
    httpVersion: req.httpVersion,
    method: req.method ?? "",
    path: req.url ?? "",
    authority: req.httpVersionMajor >= 2 ? headers[":authority"] : headers.host,
    headers,
  };
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(echo));
};

/** Make a temp dir; remove it with the returned function. Short, so socket paths stay under 108 bytes. */
export async function makeTempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "crigw-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The response of one request, as the tests look at it. */
export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP/1.1 request over TCP or a unix socket. */
export function h1Request(
  target: { port: number; host?: string } | { socketPath: string },
  { path = "/", method = "GET", headers = {}, agent = false }: {
    path?: string;
    method?: string;
    headers?: Record<string, string>;
    agent?: http.Agent | false;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const where = "socketPath" in target ? { socketPath: target.socketPath } : { host: target.host ?? "127.0.0.1", port: target.port };
    const req = http.request({ ...where, path, method, headers, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Open an HTTP/2 session over TCP (`url`) or a unix socket (`socketPath`, authority from `url`). */
export function h2Connect(
  target: { url: string } | { socketPath: string },
  options: http2.SecureClientSessionOptions = {},
): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session =
      "url" in target
        ? http2.connect(target.url, options)
        : http2.connect("http://localhost", { ...options, createConnection: () => net.connect(target.socketPath) });
    session.once("connect", () => {
      session.off("error", reject);
      session.on("error", () => {});
      resolve(session);
    });
    session.once("error", reject);
  });
}

/** The result of one HTTP/2 request; `rstCode` is set when the server reset the stream. */
export interface H2Reply extends Reply {
  rstCode: number;
  error?: Error;
}

/** One request on an open HTTP/2 session. Resolves also when the stream is reset. */
export function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders): Promise<H2Reply> {
  return new Promise((resolve) => {
    const stream = session.request({ ":path": "/", ...headers });
    let body = "";
    let status = 0;
    let responseHeaders: Record<string, string | string[] | undefined> = {};
    let error: Error | undefined;
    stream.setEncoding("utf8");
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      responseHeaders = h;
    });
    stream.on("data", (chunk: string) => (body += chunk));
    stream.on("error", (err: Error) => (error = err));
    stream.on("close", () =>
      resolve({ status, body, headers: responseHeaders, rstCode: stream.rstCode ?? 0, ...(error ? { error } : {}) }),
    );
    stream.end();
  });
}

/** Run the real curl binary; resolves with its exit code and output. */
export function runCurl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("/usr/bin/curl", ["--silent", "--show-error", "--max-time", "10", ...args], (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Resolves with the error code of a plain connect attempt, or "connected". */
export function tryConnect(target: { port: number; host?: string } | { path: string }): Promise<string> {
  return new Promise((resolve) => {
    const socket = "path" in target ? net.connect(target.path) : net.connect(target.port, target.host ?? "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}
