/**
 * Section D, in front of containerd: the same two CRI calls (Version, and
 * ListContainers answering 50 containers) sent to a real containerd four
 * ways — directly over gRPC, through the gateway (`--runtime remote`) over
 * gRPC and over Connect JSON, and through a Go grpc-gateway JSON proxy —
 * with requests/s, latency and every process's CPU per request.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { containerdSkipReason } from "../test/containerd/containerd-harness.js";
import { buildRoot } from "./build.js";
import { checkOnce } from "./check.js";
import { type BenchContainerd, startBenchContainerd } from "./containerd.js";
import { buildGoGateway, type GoGatewayProcess, goGatewaySkipReason, startGoGateway } from "./go-gateway.js";
import { runH2load } from "./h2load.js";
import { type BenchMethod, type ProtocolName, benchMethods, methodSpecs, requestBody, requestHeaders } from "./payloads.js";
import { coreBusyUs, cpuTimeUs, loadCore, median, serverCore, spawnPinned, waitForExit, waitForLine } from "./proc.js";
import { inFlight } from "./protocol.js";

/** The four ways a request reaches containerd. */
export type RemotePath = "direct-grpc" | "gateway-grpc" | "gateway-connect-json" | "go-gateway-json";

/** Every path, in table order. */
export const remotePaths: readonly RemotePath[] = ["direct-grpc", "gateway-grpc", "gateway-connect-json", "go-gateway-json"];

/** The processes whose CPU each cell reports. */
export type RemoteProcess = "containerd" | "gateway" | "goGateway";

/** One method × path cell. */
export interface RemoteRow {
  readonly method: BenchMethod;
  readonly path: RemotePath;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU (user + system, all threads) per request of each process, µs; NaN when it is not running. */
  readonly cpuUsPerReq: Readonly<Record<RemoteProcess, number>>;
  /** Failed or non-2xx requests over all rounds. */
  readonly errors: number;
  /** Share of wall time the server core spent on processes other than these three (neighbours). */
  readonly foreignCpuShare: number;
}

/** What section D measured, or why it (or its Go column) did not run. */
export interface RemoteResult {
  readonly skipped?: string;
  readonly goGatewaySkipped?: string;
  readonly rows: RemoteRow[];
  /** Which process ran on which core. */
  readonly pinning: string;
}

/** What section D measures and how long. */
export interface RemoteOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly tmpDir: string;
  readonly progress: (line: string) => void;
}

interface Target {
  readonly path: RemotePath;
  readonly url: string;
  readonly protocol: ProtocolName;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Run section D (after `buildForBench`): start containerd, the gateway and the
 * Go gateway on the server core, check every path answers correctly, then
 * load each cell. Everything started is stopped before this returns.
 */
export async function runRemoteBench(options: RemoteOptions): Promise<RemoteResult> {
  const { seconds, warmupSeconds, rounds, tmpDir, progress } = options;
  const skipped = containerdSkipReason();
  if (skipped !== undefined) return { skipped, rows: [], pinning: "" };

  let goGatewaySkipped = goGatewaySkipReason();
  // The Go build is CPU-heavy; run it while containerd starts and is seeded (nothing is measured yet).
  const building =
    goGatewaySkipped === undefined
      ? buildGoGateway(join(tmpDir, "go-gateway"), progress).then(
          (binary) => ({ binary }),
          (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
        )
      : undefined;
  let containerd: BenchContainerd | undefined;
  let gateway: GatewayProcess | undefined;
  let goGateway: GoGatewayProcess | undefined;
  try {
    containerd = await startBenchContainerd({ progress });
    gateway = await startRemoteGateway(containerd.socket);
    const built = await building;
    if (built !== undefined && "error" in built) goGatewaySkipped = `the Go gateway did not build: ${built.error.slice(0, 1500)}`;
    if (built !== undefined && "binary" in built) goGateway = await startGoGateway(built.binary, containerd.socket);

    const targets: Target[] = [
      { path: "direct-grpc", url: containerd.tcpUrl, protocol: "grpc", headers: requestHeaders("grpc") },
      { path: "gateway-grpc", url: gateway.url, protocol: "grpc", headers: requestHeaders("grpc") },
      { path: "gateway-connect-json", url: gateway.url, protocol: "connect-json", headers: requestHeaders("connect-json") },
      ...(goGateway === undefined
        ? []
        : [{ path: "go-gateway-json" as const, url: goGateway.url, protocol: "connect-json" as const, headers: { "content-type": "application/json" } }]),
    ];
    for (const target of targets) {
      for (const method of benchMethods) await checkOnce(target.url, target.protocol, method);
    }
    progress(`D: all ${targets.length} paths answer correctly (Version, and ListContainers with ${containerd.containers} containers)`);

    const pids: Record<RemoteProcess, number | undefined> = { containerd: containerd.pid, gateway: gateway.pid, goGateway: goGateway?.pid };
    const rows: RemoteRow[] = [];
    for (const method of benchMethods) {
      const bodies = new Map<ProtocolName, string>();
      for (const protocol of ["grpc", "connect-json"] as const) {
        const file = join(tmpDir, `remote.${method}.${protocol}.body`);
        writeFileSync(file, requestBody(protocol, method));
        bodies.set(protocol, file);
      }
      const samples = new Map<RemotePath, Sample[]>();
      for (let round = 0; round < rounds; round++) {
        const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target);
        for (const target of order) {
          const sample = await measure(target, method, bodies.get(target.protocol) ?? "", pids, {
            seconds,
            warmupSeconds: round === 0 ? warmupSeconds : 0,
            tmpDir,
          });
          samples.set(target.path, [...(samples.get(target.path) ?? []), sample]);
          progress(`D: ${method} ${target.path}: ${sample.reqPerSec.toFixed(0)} req/s`);
        }
      }
      for (const target of targets) {
        const list = samples.get(target.path) ?? [];
        // As in section A: neighbours only slow a run down, so keep the best round.
        const best = list.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
        const minCpu = (p: RemoteProcess) => Math.min(...list.map((s) => s.cpuUsPerReq[p]));
        rows.push({
          method,
          path: target.path,
          reqPerSec: best.reqPerSec,
          p50Ms: best.p50Ms,
          p99Ms: best.p99Ms,
          cpuUsPerReq: { containerd: minCpu("containerd"), gateway: minCpu("gateway"), goGateway: minCpu("goGateway") },
          errors: list.reduce((n, s) => n + s.errors, 0),
          foreignCpuShare: median(list.map((s) => s.foreignCpuShare)),
        });
      }
    }
    const pinning =
      `containerd (pid ${containerd.pid}, all threads), the gateway (pid ${gateway.pid})` +
      `${goGateway === undefined ? "" : ` and the Go gateway (pid ${goGateway.pid})`} on core ${serverCore}; ` +
      `h2load and the bench on core ${loadCore}; containerd's shims are not pinned (idle during load)`;
    return { rows, pinning, ...(goGatewaySkipped === undefined ? {} : { goGatewaySkipped }) };
  } finally {
    await goGateway?.stop();
    await gateway?.stop();
    await containerd?.stop();
    // If start-up failed, let the (time-bounded) Go build finish before the caller removes tmpDir.
    await building;
  }
}

type Sample = Omit<RemoteRow, "method" | "path">;

/** Warm up, then one measured h2load run with every process's CPU time read around it. */
async function measure(
  target: Target,
  method: BenchMethod,
  bodyFile: string,
  pids: Record<RemoteProcess, number | undefined>,
  { seconds, warmupSeconds, tmpDir }: { seconds: number; warmupSeconds: number; tmpDir: string },
): Promise<Sample> {
  const h2 = target.protocol === "grpc";
  const load = {
    url: target.url + methodSpecs[method].path,
    h1: !h2,
    clients: h2 ? 1 : inFlight,
    streams: h2 ? inFlight : 1,
    bodyFile,
    headers: target.headers,
    logFile: join(tmpDir, "h2load-remote.log"),
  };
  if (warmupSeconds > 0) await runH2load({ ...load, seconds: warmupSeconds });
  const processes = Object.entries(pids) as [RemoteProcess, number | undefined][];
  const cpu = () => processes.map(([, pid]) => (pid === undefined ? Number.NaN : cpuTimeUs(pid)));
  const before = cpu();
  const coreBefore = coreBusyUs(serverCore);
  const result = await runH2load({ ...load, seconds });
  const after = cpu();
  const coreUs = coreBusyUs(serverCore) - coreBefore;
  const deltas = after.map((a, i) => a - (before[i] ?? Number.NaN));
  const perReq = (us: number) => (result.succeeded > 0 ? us / result.succeeded : Number.NaN);
  const ours = deltas.filter(Number.isFinite).reduce((a, b) => a + b, 0);
  return {
    reqPerSec: result.reqPerSec,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    cpuUsPerReq: Object.fromEntries(processes.map(([name], i) => [name, perReq(deltas[i] ?? Number.NaN)])) as Record<RemoteProcess, number>,
    errors: result.failed + (result.succeeded - result.status2xx),
    foreignCpuShare: Math.max(0, (coreUs - ours) / (result.seconds * 1e6)),
  };
}

interface GatewayProcess {
  readonly pid: number;
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * `cri-gateway serve --runtime remote --upstream unix://<socket>` from the
 * compiled tree (plain JS, as dist/ runs), pinned to the server core.
 */
async function startRemoteGateway(socket: string): Promise<GatewayProcess> {
  const cli = join(buildRoot, "src", "cli", "main.js");
  if (!existsSync(cli)) throw new Error(`build did not emit ${cli} (bench/.build is made by buildForBench)`);
  const args = [cli, "serve", "--listen", "127.0.0.1:0", "--runtime", "remote", "--upstream", `unix://${socket}`, "--log-level", "warn"];
  const child: ChildProcess = spawnPinned(serverCore, process.execPath, args);
  const pid = child.pid;
  if (pid === undefined) throw new Error("cannot start the gateway");
  try {
    const { value: url } = await waitForLine(child, (line) => /^cri-gateway ready: .*listening on (http:\/\/\S+)/.exec(line)?.[1]);
    child.stdout?.resume();
    child.stderr?.resume();
    return {
      pid,
      url,
      async stop() {
        child.kill("SIGTERM");
        await waitForExit(child, 5000);
      },
    };
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
}
