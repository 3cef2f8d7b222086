/**
 * Section A, the protocol layer: requests/s, server CPU per request and
 * latency for Version and ListContainers (50 containers) over Connect JSON
 * (HTTP/1.1), gRPC (h2c) and gRPC-Web (HTTP/1.1), against the bare, stock
 * connect-node and gateway servers, side by side in one run.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkOnce } from "./check.js";
import { runH2load } from "./h2load.js";
import {
  type BenchMethod,
  type ProtocolName,
  benchMethods,
  methodSpecs,
  protocolNames,
  requestBody,
  requestHeaders,
  usesHttp2,
} from "./payloads.js";
import { coreBusyUs, cpuTimeUs, median, serverCore } from "./proc.js";
import { type ServerKey, type ServerProcess, serverSpecs, startServer } from "./server-process.js";

/** Requests in flight: 16 keep-alive connections for HTTP/1.1, 16 streams on one connection for h2c. */
export const inFlight = 16;

/** One server's figures for one method and protocol. */
export interface ProtocolRow {
  readonly method: BenchMethod;
  readonly protocol: ProtocolName;
  readonly server: ServerKey;
  readonly reqPerSec: number;
  /** Server CPU (user + system, all threads) per request, µs. */
  readonly cpuUsPerReq: number;
  /** Server CPU time ÷ wall time; ~100% means the server was the bottleneck. */
  readonly serverCpuShare: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Response body bytes of the checked request. */
  readonly replyBytes: number;
  readonly errors: number;
  /**
   * CPU the server's core spent on other processes during the run (neighbours
   * on a shared VM), as a share of wall time. High values make req/s noisy.
   */
  readonly foreignCpuShare: number;
}

/** What section A measures and how long. */
export interface ProtocolOptions {
  readonly servers: readonly ServerKey[];
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly tmpDir: string;
  readonly progress: (line: string) => void;
}

/** Run section A; every server is stopped before this returns. */
export async function runProtocolBench(options: ProtocolOptions): Promise<ProtocolRow[]> {
  const { servers, seconds, warmupSeconds, rounds, tmpDir, progress } = options;
  const running: ServerProcess[] = [];
  try {
    for (const key of servers) running.push(await startServer(key));
    const replyBytes = new Map<string, number>();
    for (const server of running) {
      for (const method of benchMethods) {
        for (const protocol of protocolNames) {
          const url = usesHttp2(protocol) ? server.h2 : server.h1;
          replyBytes.set(`${server.key}/${method}/${protocol}`, await checkOnce(url, protocol, method));
        }
      }
    }
    progress(`A: all ${running.length} servers answer correctly (HTTP 200, decoded reply, grpc-status 0)`);

    const rows: ProtocolRow[] = [];
    for (const method of benchMethods) {
      for (const protocol of protocolNames) {
        const bodyFile = join(tmpDir, `${method}.${protocol}.body`);
        writeFileSync(bodyFile, requestBody(protocol, method));
        const samples = new Map<ServerKey, Sample[]>();
        for (let round = 0; round < rounds; round++) {
          // Rotate the order each round so drift on a noisy machine hits every server alike.
          const order = running.map((_, i) => running[(i + round) % running.length] as ServerProcess);
          for (const server of order) {
            // Later rounds find the server already warm for this cell.
            const warmup = round === 0 ? warmupSeconds : 0;
            const sample = await measure(server, method, protocol, bodyFile, { seconds, warmupSeconds: warmup, tmpDir });
            const list = samples.get(server.key) ?? [];
            list.push(sample);
            samples.set(server.key, list);
            progress(
              `A: ${method} ${protocol} ${serverSpecs[server.key].label}: ${sample.reqPerSec.toFixed(0)} req/s, ` +
                `${sample.cpuUsPerReq.toFixed(1)} µs CPU/req`,
            );
          }
        }
        for (const server of running) {
          const list = samples.get(server.key) ?? [];
          // Neighbours only ever slow a run down, so the best round is the least disturbed one.
          const best = list.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
          rows.push({
            method,
            protocol,
            server: server.key,
            reqPerSec: best.reqPerSec,
            cpuUsPerReq: Math.min(...list.map((s) => s.cpuUsPerReq)),
            serverCpuShare: best.serverCpuShare,
            p50Ms: best.p50Ms,
            p99Ms: best.p99Ms,
            replyBytes: replyBytes.get(`${server.key}/${method}/${protocol}`) ?? 0,
            errors: list.reduce((n, s) => n + s.errors, 0),
            foreignCpuShare: median(list.map((s) => s.foreignCpuShare)),
          });
        }
      }
    }
    return rows;
  } finally {
    await Promise.all(running.map((s) => s.stop()));
  }
}

type Sample = Pick<
  ProtocolRow,
  "reqPerSec" | "cpuUsPerReq" | "serverCpuShare" | "p50Ms" | "p99Ms" | "errors" | "foreignCpuShare"
>;

/** Warm up, then one measured h2load run with the server's CPU time read around it. */
export async function measure(
  server: ServerProcess,
  method: BenchMethod,
  protocol: ProtocolName,
  bodyFile: string,
  { seconds, warmupSeconds, tmpDir }: { seconds: number; warmupSeconds: number; tmpDir: string },
): Promise<Sample> {
  const h2 = usesHttp2(protocol);
  const load = {
    url: (h2 ? server.h2 : server.h1) + methodSpecs[method].path,
    h1: !h2,
    clients: h2 ? 1 : inFlight,
    streams: h2 ? inFlight : 1,
    bodyFile,
    headers: requestHeaders(protocol),
    logFile: join(tmpDir, "h2load.log"),
  };
  if (warmupSeconds > 0) await runH2load({ ...load, seconds: warmupSeconds });
  const before = cpuTimeUs(server.pid);
  const coreBefore = coreBusyUs(serverCore);
  const result = await runH2load({ ...load, seconds });
  const cpuUs = cpuTimeUs(server.pid) - before;
  const coreUs = coreBusyUs(serverCore) - coreBefore;
  return {
    reqPerSec: result.reqPerSec,
    cpuUsPerReq: result.succeeded > 0 ? cpuUs / result.succeeded : Number.NaN,
    serverCpuShare: cpuUs / (result.seconds * 1e6),
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    errors: result.failed + (result.succeeded - result.status2xx),
    foreignCpuShare: Math.max(0, (coreUs - cpuUs) / (result.seconds * 1e6)),
  };
}
