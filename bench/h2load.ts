/**
 * Drives h2load (nghttp2-client) and reads its summary and per-request log.
 * Every run is bounded: h2load's own duration (-D) plus a hard kill after
 * duration + 15 s, and at most `maxRequests` lines of latency are read.
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { loadCore, percentile } from "./proc.js";

/** One load run's figures. */
export interface LoadResult {
  /** Seconds h2load measured over. */
  readonly seconds: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly status2xx: number;
  readonly reqPerSec: number;
  /** Latency percentiles from the per-request log, in ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** What one h2load run does. */
export interface LoadOptions {
  readonly url: string;
  /** true: HTTP/1.1 keep-alive; false: h2c with prior knowledge. */
  readonly h1: boolean;
  readonly clients: number;
  /** Requests in flight per connection (h2 streams; must be 1 for h1, which does not pipeline POSTs). */
  readonly streams: number;
  readonly seconds: number;
  readonly bodyFile: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Where the per-request log goes (removed after reading). */
  readonly logFile: string;
}

/** The h2load binary, or undefined when it is not installed. */
export function findH2load(): string | undefined {
  try {
    const path = execFileSync("sh", ["-c", "command -v h2load"], { encoding: "utf8" }).trim();
    return path === "" ? undefined : path;
  } catch {
    return undefined;
  }
}

/** Run h2load pinned to the load core and parse what it reports. */
export async function runH2load(options: LoadOptions): Promise<LoadResult> {
  const args = [
    "-c", loadCore, "h2load",
    ...(options.h1 ? ["--h1"] : []),
    "-c", String(options.clients),
    "-m", String(options.streams),
    "-D", String(options.seconds),
    "-d", options.bodyFile,
    "--log-file", options.logFile,
    ...Object.entries(options.headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
    options.url,
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn("taskset", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      out += c.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), (options.seconds + 15) * 1000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`h2load exited ${code}: ${out.slice(-1500)}`));
    });
  });
  const latencies = readLatencies(options.logFile);
  rmSync(options.logFile, { force: true });
  return parseSummary(output, latencies);
}

function parseSummary(output: string, latenciesUs: number[]): LoadResult {
  const finished = /finished in ([\d.]+)s, ([\d.]+) req\/s/.exec(output);
  const requests = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(output);
  const status = /status codes: (\d+) 2xx/.exec(output);
  if (finished === null || requests === null || status === null) {
    throw new Error(`cannot parse h2load output: ${output.slice(-1500)}`);
  }
  return {
    seconds: Number(finished[1]),
    reqPerSec: Number(finished[2]),
    succeeded: Number(requests[1]),
    failed: Number(requests[2]),
    status2xx: Number(status[1]),
    p50Ms: percentile(latenciesUs, 50) / 1000,
    p99Ms: percentile(latenciesUs, 99) / 1000,
  };
}

// Columns: start (µs since epoch), status, µs until the response ended.
function readLatencies(file: string, maxRequests = 2_000_000): number[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const line of text.split("\n")) {
    if (out.length >= maxRequests) break;
    const tab = line.lastIndexOf("\t");
    if (tab < 0) continue;
    const us = Number(line.slice(tab + 1));
    if (Number.isFinite(us)) out.push(us);
  }
  return out;
}
