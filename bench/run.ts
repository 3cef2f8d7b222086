/**
 * `npm run bench`: the gateway's performance report. Sections (all by default):
 *   A  protocol layer: bare node vs stock connect-node vs gateway, 3 protocols × 2 methods
 *   B  memory runtime at 100k containers
 *   C  start to ready and idle RSS
 *   P  CPU profiles of the gateway serving Version (Connect JSON and gRPC)
 *   D  in front of containerd: direct gRPC vs the gateway (gRPC, Connect JSON) vs a Go grpc-gateway
 *
 * Sections are chosen with --sections A,D or as arguments (`npm run bench -- D`).
 * Flags: --sections A,B,C,P,D  --seconds N (per measurement, default 3)
 *        --warmup N (default 1, first round only)  --rounds N (default 3; best round per cell)
 *        --quick (1 s measurements, 1k pods: a smoke run)  --keep-profiles DIR
 *        --json (JSON on stdout; the table goes to stderr)
 * See bench/README.md for what each figure means.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildForBench } from "./build.js";
import { findH2load } from "./h2load.js";
import { type ProfileResult, profileServer } from "./profile.js";
import { type ProtocolRow, inFlight, runProtocolBench } from "./protocol.js";
import { loadCore, serverCore } from "./proc.js";
import {
  type GoalResult,
  goalLines,
  profileLines,
  protocolGoals,
  protocolTable,
  remoteGoals,
  remoteLines,
  remoteTable,
  scaleGoals,
  scaleLines,
  startupGoals,
  startupLines,
} from "./report.js";
import { type RemoteResult, runRemoteBench } from "./remote.js";
import { runScaleBench } from "./scale.js";
import type { ScaleResult } from "./scale-child.js";
import type { ServerKey } from "./server-process.js";
import { type StartupResult, ensureBuilt, measureStartup, repoRoot } from "./startup.js";

const usage = `Usage: npm run bench -- [SECTION...] [options]

Sections (all by default; as arguments or --sections A,D):
  A  protocol layer: bare node vs stock connect-node vs gateway
  B  memory runtime at 100k containers
  C  start to ready and idle RSS
  P  CPU profiles of the gateway serving Version
  D  in front of containerd: direct gRPC vs the gateway vs a Go grpc-gateway

Options:
  --sections LIST       comma-separated sections (default A,B,C,P,D)
  --seconds N           seconds per measurement (default 3; 1 with --quick)
  --warmup N            warm-up seconds, first round only (default 1)
  --rounds N            rounds; the best round per cell is kept (default 3; 1 with --quick)
  --quick               1 s measurements, 1k pods: a smoke run
  --keep-profiles DIR   keep the CPU profiles of section P in DIR
  --json                JSON on stdout; the table goes to stderr
  -h, --help            show this help

See bench/README.md for what each figure means.
`;

function parseCommandLine() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        sections: { type: "string", default: "A,B,C,P,D" },
        seconds: { type: "string" },
        warmup: { type: "string" },
        rounds: { type: "string" },
        quick: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        "keep-profiles": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    // An unknown flag or a missing value: say so with the usage, not a stack trace.
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n\n${usage}`);
    process.exit(2);
  }
}

const { values, positionals } = parseCommandLine();
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}
const sections = new Set(
  (positionals.length > 0 ? positionals.join(",") : values.sections)
    .toUpperCase()
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== ""),
);
const unknownSections = [...sections].filter((s) => !["A", "B", "C", "P", "D"].includes(s));
if (unknownSections.length > 0) {
  process.stderr.write(`bench: unknown section(s) ${unknownSections.join(", ")}; choose from A, B, C, P, D\n`);
  process.exit(2);
}
const seconds = Number(values.seconds ?? (values.quick ? 1 : 3));
const warmupSeconds = Number(values.warmup ?? 1);
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
for (const [flag, n] of [["--seconds", seconds], ["--warmup", warmupSeconds], ["--rounds", rounds]] as const) {
  if (!Number.isInteger(n) || n < (flag === "--warmup" ? 0 : 1)) {
    process.stderr.write(`bench: ${flag} must be a whole number of ${flag === "--rounds" ? "rounds" : "seconds"}\n`);
    process.exit(2);
  }
}

// The table goes to stdout, unless stdout carries JSON.
const print = (line = "") => (values.json ? process.stderr : process.stdout).write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`  … ${line}\n`);

if ((sections.has("A") || sections.has("P") || sections.has("D")) && findH2load() === undefined) {
  process.stderr.write(
    "bench: h2load is not installed. It comes with nghttp2's client tools:\n" +
      "  sudo apt-get install nghttp2-client      (Debian/Ubuntu)\n" +
      "Or run only the sections that need no load generator: npm run bench -- --sections B,C\n",
  );
  process.exit(1);
}

// Keep this process off the server's core; h2load and it share the other one.
try {
  execFileSync("taskset", ["-a", "-p", "-c", loadCore, String(process.pid)], { stdio: "ignore" });
} catch {
  progress("taskset failed; figures will be noisier");
}

if (sections.has("A") || sections.has("B") || sections.has("P") || sections.has("D")) {
  progress("compiling bench servers and gateway sources with tsc into bench/.build");
  buildForBench(progress);
}

/** Which gateway sources were measured: the commit, and whether src/ had uncommitted changes (the bench compiles the working tree). */
function sourceState(): string {
  try {
    const git = (...args: string[]) => execFileSync("git", ["-C", repoRoot, ...args], { encoding: "utf8" }).trim();
    const dirty = git("status", "--porcelain", "--", "src", "gen") !== "";
    return `src at ${git("rev-parse", "--short", "HEAD")}${dirty ? " + uncommitted changes" : ""}`;
  } catch {
    return "src (not a git checkout)";
  }
}

const tmpDir = mkdtempSync(join(tmpdir(), "cri-bench-"));
const keepDir = values["keep-profiles"] === undefined ? undefined : resolve(values["keep-profiles"]);
if (keepDir !== undefined) mkdirSync(keepDir, { recursive: true });
const servers: ServerKey[] = ["bare", "stock", "gateway", "gateway-no-fast-path"];
const goals: GoalResult[] = [];
const json: {
  protocol?: ProtocolRow[];
  scale?: ScaleResult;
  startup?: StartupResult[];
  profiles?: ProfileResult[];
  remote?: RemoteResult;
  goals: GoalResult[];
} = { goals };

try {
  print(`cri-gateway bench — node ${process.version}, ${sourceState()}, server on core ${serverCore}, load and bench on core ${loadCore}`);
  if (sections.has("A")) {
    print();
    print(
      `A. Protocol layer — ${inFlight} in flight (h1: ${inFlight} keep-alive conns; h2c: 1 conn × ${inFlight} streams), ` +
        `${seconds} s per cell after ${warmupSeconds} s warm-up, best of ${rounds} interleaved round(s)`,
    );
    print("   cell = req/s, server CPU µs/req, p50/p99 latency ms; ListContainers answers 50 containers");
    const rows = await runProtocolBench({ servers, seconds, warmupSeconds, rounds, tmpDir, progress });
    json.protocol = rows;
    for (const line of protocolTable(rows, servers)) print(`   ${line}`);
    const shares = rows.map((r) => r.serverCpuShare).sort((a, b) => a - b);
    const foreign = rows.map((r) => r.foreignCpuShare).sort((a, b) => a - b);
    const pct = (n: number | undefined) => `${((n ?? Number.NaN) * 100).toFixed(0)}%`;
    print(
      `   server CPU busy: ${pct(shares[0])}–${pct(shares.at(-1))} of wall time; other processes on core ${serverCore}: ` +
        `median ${pct(foreign[foreign.length >> 1])}, max ${pct(foreign.at(-1))}. Cells under ~90% busy were not ` +
        "server-bound, so their req/s understates the server; CPU µs/req is the steadier figure.",
    );
    const found = protocolGoals(rows);
    goals.push(...found);
    for (const line of goalLines(found)) print(`   ${line}`);
  }

  if (sections.has("B")) {
    print();
    const pods = values.quick ? 1000 : 10_000;
    print(`B. Memory runtime scale — ${pods * 10} containers in ${pods} pods (10 per pod, kubelet-like configs), in-process`);
    const scale = await runScaleBench({ pods, perPod: 10 });
    json.scale = scale;
    for (const line of scaleLines(scale)) print(`   ${line}`);
    const found = scaleGoals(scale);
    goals.push(...found);
    for (const line of goalLines(found)) print(`   ${line}`);
  }

  if (sections.has("C")) {
    print();
    print("C. Start to ready — `serve --listen 127.0.0.1:0` until the ready line, median of 5; RSS 0.5 s after ready");
    if (ensureBuilt()) progress("built dist/ with npm run build");
    const results = [
      await measureStartup("node dist/src/cli/main.js", [join(repoRoot, "dist/src/cli/main.js")]),
      await measureStartup("node --import tsx src/cli/main.ts", ["--import", "tsx", join(repoRoot, "src/cli/main.ts")]),
    ];
    json.startup = results;
    for (const line of startupLines(results)) print(`   ${line}`);
    const found = startupGoals(results);
    goals.push(...found);
    for (const line of goalLines(found)) print(`   ${line}`);
  }

  if (sections.has("P")) {
    print();
    print(`P. CPU profile of the gateway (node --cpu-prof), ${seconds} s load window, self time as % of busy time`);
    const profiles: ProfileResult[] = [];
    for (const protocol of ["connect-json", "grpc"] as const) {
      progress(`P: profiling gateway Version ${protocol}`);
      profiles.push(
        await profileServer({ server: "gateway", method: "Version", protocol, seconds, warmupSeconds: Math.max(1, warmupSeconds), tmpDir, keepDir }),
      );
    }
    json.profiles = profiles;
    for (const line of profileLines(profiles)) print(`   ${line}`);
  }

  if (sections.has("D")) {
    print();
    print(
      `D. In front of containerd — ${inFlight} in flight (gRPC: 1 h2c conn × ${inFlight} streams; JSON: ${inFlight} HTTP/1.1 keep-alive conns), ` +
        `${seconds} s per cell after ${warmupSeconds} s warm-up, best of ${rounds} interleaved round(s)`,
    );
    print("   containerd 1.6 (runc) with 1 host-network pod and 50 created containers; CPU = utime+stime from /proc per request");
    const remote = await runRemoteBench({ seconds, warmupSeconds, rounds, tmpDir, progress });
    json.remote = remote;
    if (remote.skipped !== undefined) {
      print(`   SKIP  ${remote.skipped}`);
    } else {
      print(`   pinned: ${remote.pinning}`);
      for (const line of remoteTable(remote)) print(`   ${line}`);
      for (const line of remoteLines(remote)) print(`   ${line}`);
      if (remote.goGatewaySkipped !== undefined) print(`   SKIP  Go grpc-gateway column and goal D3: ${remote.goGatewaySkipped}`);
      const found = remoteGoals(remote);
      goals.push(...found);
      for (const line of goalLines(found)) print(`   ${line}`);
    }
  }

  print();
  const failed = goals.filter((g) => !g.pass).map((g) => g.goal.split(" ")[0]);
  print(`Goals: ${goals.length - failed.length} PASS, ${failed.length} FAIL${failed.length > 0 ? ` (${failed.join(", ")})` : ""}`);
  if (values.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
} finally {
  rmSync(tmpDir, { recursive: true, force: true });
}
