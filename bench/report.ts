/**
 * Turns the sections' results into the printed report: compact tables and a
 * PASS/FAIL line per goal. Kept apart from the measuring so `--json` and the
 * table show the same figures.
 */
import type { ProfileResult } from "./profile.js";
import type { ProtocolRow } from "./protocol.js";
import type { RemotePath, RemoteResult, RemoteRow } from "./remote.js";
import type { ScaleResult } from "./scale-child.js";
import type { ServerKey } from "./server-process.js";
import type { StartupResult } from "./startup.js";

/** One goal of the issue and whether this run met it. */
export interface GoalResult {
  readonly goal: string;
  readonly measured: string;
  readonly pass: boolean;
}

const columnLabels: Record<ServerKey, string> = {
  bare: "bare node",
  stock: "stock connect-node",
  gateway: "gateway",
  "gateway-no-fast-path": "gateway, no fast path",
};

/** Left-pad or right-pad cells into aligned columns. */
export function formatTable(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number> = new Set()): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

const kilo = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));
const ms = (n: number) => (n < 1 ? n.toFixed(3) : n < 10 ? n.toFixed(2) : n.toFixed(1));
const ratio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : "-");

/** Section A: one line per method and protocol, one column per server, then the ratios. */
export function protocolTable(rows: readonly ProtocolRow[], servers: readonly ServerKey[]): string[] {
  const find = (m: string, p: string, s: ServerKey) => rows.find((r) => r.method === m && r.protocol === p && r.server === s);
  const header = ["method", "protocol", ...servers.map((s) => columnLabels[s]), "gw/stock CPU", "gw/stock req/s", "gw/bare req/s"];
  const out: string[][] = [header];
  const keys = [...new Set(rows.map((r) => `${r.method}|${r.protocol}`))];
  for (const key of keys) {
    const [method = "", protocol = ""] = key.split("|");
    const cells = servers.map((s) => {
      const r = find(method, protocol, s);
      if (r === undefined) return "-";
      const errors = r.errors > 0 ? ` ERR${r.errors}` : "";
      return `${kilo(r.reqPerSec)} ${r.cpuUsPerReq.toFixed(0)}µs ${ms(r.p50Ms)}/${ms(r.p99Ms)}${errors}`;
    });
    const gw = find(method, protocol, "gateway");
    const stock = find(method, protocol, "stock");
    const bare = find(method, protocol, "bare");
    out.push([
      method,
      protocol,
      ...cells,
      ratio(gw && stock ? gw.cpuUsPerReq / stock.cpuUsPerReq : Number.NaN),
      ratio(gw && stock ? gw.reqPerSec / stock.reqPerSec : Number.NaN),
      ratio(gw && bare ? gw.reqPerSec / bare.reqPerSec : Number.NaN),
    ]);
  }
  return formatTable(out);
}

/** Section A goals: layers ≤ +15% CPU/req over stock on every cell; Connect JSON Version ≥ 0.5× bare req/s. */
export function protocolGoals(rows: readonly ProtocolRow[]): GoalResult[] {
  const goals: GoalResult[] = [];
  const cells = rows.filter((r) => r.server === "gateway");
  const overheads = cells.flatMap((gw) => {
    const stock = rows.find((r) => r.server === "stock" && r.method === gw.method && r.protocol === gw.protocol);
    return stock === undefined ? [] : [{ cell: `${gw.method} ${gw.protocol}`, over: gw.cpuUsPerReq / stock.cpuUsPerReq - 1 }];
  });
  if (overheads.length > 0) {
    const worst = overheads.reduce((a, b) => (b.over > a.over ? b : a));
    goals.push({
      goal: "A1 gateway layers add <15% server CPU/req over stock connect-node (every cell)",
      measured: `worst ${(worst.over * 100).toFixed(0)}% (${worst.cell}); ${overheads
        .map((o) => `${o.cell} ${o.over >= 0 ? "+" : ""}${(o.over * 100).toFixed(0)}%`)
        .join(", ")}`,
      pass: overheads.every((o) => o.over < 0.15),
    });
  }
  const gw = rows.find((r) => r.server === "gateway" && r.method === "Version" && r.protocol === "connect-json");
  const bare = rows.find((r) => r.server === "bare" && r.method === "Version" && r.protocol === "connect-json");
  if (gw !== undefined && bare !== undefined) {
    const r = gw.reqPerSec / bare.reqPerSec;
    goals.push({
      goal: "A2 Connect JSON Version req/s >= 0.5× bare node:http",
      measured: `${r.toFixed(2)}× (${kilo(gw.reqPerSec)} vs ${kilo(bare.reqPerSec)} req/s)`,
      pass: r >= 0.5,
    });
  }
  const errors = rows.reduce((n, r) => n + r.errors, 0);
  if (errors > 0) goals.push({ goal: "A0 every loaded request succeeded", measured: `${errors} failed or non-2xx`, pass: false });
  return goals;
}

/** Section B lines. */
export function scaleLines(s: ScaleResult): string[] {
  const q = (t: { medianMs: number; p99Ms: number }) => `${ms(t.medianMs)}/${ms(t.p99Ms)} ms`;
  const kib = (b: number) => `${(b / 1024).toFixed(2)} KiB`;
  return [
    `create: ${kilo(s.podsPerSec)} pods/s, ${kilo(s.containersPerSec)} containers/s (${s.pods} pods, ${s.containers} containers); heap ${s.heap.totalMiB.toFixed(0)} MiB`,
    `ListContainers median/p99: by pod id ${q(s.listByPod)} (${s.listByPod.results}), by label ${q(s.listByLabel)} (${s.listByLabel.results}), by 2 labels ${q(s.listByTwoLabels)} (${s.listByTwoLabels.results})`,
    `ContainerStatus by 12-char prefix median/p99: ${q(s.prefixLookupSmall)} at ${s.prefixLookupSmall.atContainers}, ${q(s.prefixLookupFull)} at ${s.prefixLookupFull.atContainers}`,
    `StreamContainers all: ${s.stream.totalMs.toFixed(0)} ms (${s.stream.encodeMs.toFixed(0)} ms of it toBinary), ${s.stream.chunks} chunks, max ${s.stream.maxChunkItems} items / ${(s.stream.maxChunkBytes / 2 ** 20).toFixed(2)} MiB of ${(s.stream.limitBytes / 2 ** 20).toFixed(0)} MiB`,
    `heap/container: ${kib(s.heap.perContainerWithConfigBytes)} with its config, ${kib(s.heap.perContainerWithoutConfigBytes)} runtime state alone (request objects ${kib(s.heap.requestPerContainerBytes)}); per pod ${kib(s.heap.perPodBytes)}`,
  ];
}

/** Section B goals. */
export function scaleGoals(s: ScaleResult): GoalResult[] {
  const worstList = Math.max(s.listByPod.p99Ms, s.listByLabel.p99Ms, s.listByTwoLabels.p99Ms);
  const growth = s.prefixLookupFull.medianMs / s.prefixLookupSmall.medianMs;
  return [
    { goal: "B1 filtered ListContainers p99 <= 1 ms", measured: `worst p99 ${ms(worstList)} ms`, pass: worstList <= 1 },
    {
      goal: `B2 prefix lookup independent of count (median grows < 3× for ${Math.round(s.prefixLookupFull.atContainers / s.prefixLookupSmall.atContainers)}× the containers)`,
      measured: `${growth.toFixed(2)}× from ${s.prefixLookupSmall.atContainers} to ${s.prefixLookupFull.atContainers}`,
      pass: growth < 3,
    },
    { goal: "B3 StreamContainers of all < 2 s", measured: `${s.stream.totalMs.toFixed(0)} ms incl. encoding`, pass: s.stream.totalMs < 2000 },
    {
      goal: "B4 every stream chunk under the message limit",
      measured: `max ${s.stream.maxChunkBytes} B of ${s.stream.limitBytes} B`,
      pass: s.stream.maxChunkBytes <= s.stream.limitBytes,
    },
    {
      goal: "B5 heap per container <= 2 KiB, runtime state alone",
      measured: `${(s.heap.perContainerWithoutConfigBytes / 1024).toFixed(2)} KiB`,
      pass: s.heap.perContainerWithoutConfigBytes <= 2048,
    },
    {
      goal: "B6 heap per container <= 2 KiB, with the config it keeps",
      measured: `${(s.heap.perContainerWithConfigBytes / 1024).toFixed(2)} KiB`,
      pass: s.heap.perContainerWithConfigBytes <= 2048,
    },
  ];
}

/** Section C lines and goal. */
export function startupLines(results: readonly StartupResult[]): string[] {
  return formatTable(
    [
      ["start", "median to ready", "all runs (ms)", "idle RSS"],
      ...results.map((r) => [
        r.label,
        `${r.medianReadyMs.toFixed(0)} ms`,
        r.readyMs.map((v) => v.toFixed(0)).join(" "),
        `${r.medianIdleRssMiB.toFixed(1)} MiB`,
      ]),
    ],
    new Set([1, 3]),
  );
}

export function startupGoals(results: readonly StartupResult[]): GoalResult[] {
  const built = results[0];
  if (built === undefined) return [];
  return [{ goal: `C1 start to ready <= 250 ms (${built.label})`, measured: `median ${built.medianReadyMs.toFixed(0)} ms`, pass: built.medianReadyMs <= 250 }];
}

/** Profiles side by side: the top `count` self-time functions of each. */
export function profileLines(results: readonly ProfileResult[], count = 15): string[] {
  const out: string[] = [];
  for (const r of results) {
    const requests = (r.reqPerSec * r.summary.windowMs) / 1000;
    const perReq = (selfMs: number) => ((selfMs * 1000) / requests).toFixed(1);
    out.push(
      `${r.method} ${r.protocol} on ${columnLabels[r.server]}: ${kilo(r.reqPerSec)} req/s under the profiler, ` +
        `busy ${r.summary.busyMs.toFixed(0)} of ${r.summary.windowMs.toFixed(0)} ms = ${perReq(r.summary.busyMs)} µs/req` +
        (r.file === undefined ? "" : `; raw: ${r.file}`),
    );
    out.push(
      `  gateway src, inclusive: ${r.summary.gatewayInclusive
        .slice(0, 5)
        .map((f) => `${f.name} (${f.where.replace(/^src\//, "")}) ${(f.share * 100).toFixed(0)}%`)
        .join(", ")}`,
    );
    out.push(
      `  by area, µs/req: ${r.summary.areas
        .slice(0, 8)
        .map((a) => `${a.area} ${perReq(a.selfMs)}`)
        .join(", ")}`,
    );
  }
  const rows: string[][] = [["#", ...results.flatMap((r) => [`self% ${r.method} ${r.protocol}`, "where"])]];
  for (let i = 0; i < count; i++) {
    rows.push([
      String(i + 1),
      ...results.flatMap((r) => {
        const f = r.summary.functions[i];
        return f === undefined ? ["", ""] : [`${(f.share * 100).toFixed(1).padStart(4)} ${f.name}`, f.where];
      }),
    ]);
  }
  return [...out, ...formatTable(rows)];
}

const remoteLabels: Record<RemotePath, string> = {
  "direct-grpc": "direct gRPC (h2c)",
  "gateway-grpc": "gateway gRPC (h2c)",
  "gateway-connect-json": "gateway Connect JSON (h1)",
  "go-gateway-json": "Go grpc-gateway JSON (h1)",
};

const us = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "-");
const signedMs = (n: number) => (Number.isFinite(n) ? `${n < 0 ? "-" : "+"}${ms(Math.abs(n))}` : "-");

/**
 * Section D: one line per method and path. CPU columns are µs per request of
 * each process; "added" is latency over the direct gRPC cell of the same method.
 */
export function remoteTable(result: RemoteResult): string[] {
  const header = ["method", "path", "req/s", "p50/p99 ms", "containerd µs/req", "gateway µs/req", "Go gw µs/req", "added p50/p99 ms"];
  const out: string[][] = [header];
  for (const r of result.rows) {
    const direct = result.rows.find((d) => d.method === r.method && d.path === "direct-grpc");
    const added =
      r.path === "direct-grpc" || direct === undefined ? "" : `${signedMs(r.p50Ms - direct.p50Ms)}/${signedMs(r.p99Ms - direct.p99Ms)}`;
    out.push([
      r.method,
      remoteLabels[r.path],
      `${kilo(r.reqPerSec)}${r.errors > 0 ? ` ERR${r.errors}` : ""}`,
      `${ms(r.p50Ms)}/${ms(r.p99Ms)}`,
      us(r.cpuUsPerReq.containerd),
      r.path.startsWith("gateway") ? us(r.cpuUsPerReq.gateway) : "",
      r.path === "go-gateway-json" ? us(r.cpuUsPerReq.goGateway) : "",
      added,
    ]);
  }
  return formatTable(out, new Set([2, 4, 5, 6]));
}

/** Section D ratio lines: what each gateway adds, and Connect JSON against the Go gateway. */
export function remoteLines(result: RemoteResult): string[] {
  const find = (m: string, p: RemotePath): RemoteRow | undefined => result.rows.find((r) => r.method === m && r.path === p);
  const out: string[] = [];
  for (const method of [...new Set(result.rows.map((r) => r.method))]) {
    const direct = find(method, "direct-grpc");
    const grpc = find(method, "gateway-grpc");
    const json = find(method, "gateway-connect-json");
    const go = find(method, "go-gateway-json");
    const parts: string[] = [];
    if (grpc !== undefined && direct !== undefined) {
      parts.push(
        `gateway gRPC adds ${us(grpc.cpuUsPerReq.gateway)} µs CPU/req (${ratio(grpc.cpuUsPerReq.gateway / direct.cpuUsPerReq.containerd)} containerd's own ${us(direct.cpuUsPerReq.containerd)}), ` +
          `req/s ${ratio(grpc.reqPerSec / direct.reqPerSec)} of direct`,
      );
    }
    if (json !== undefined && go !== undefined) {
      parts.push(
        `Connect JSON/Go gateway: req/s ${ratio(json.reqPerSec / go.reqPerSec)}, own CPU/req ${ratio(json.cpuUsPerReq.gateway / go.cpuUsPerReq.goGateway)}`,
      );
    }
    if (parts.length > 0) out.push(`${method}: ${parts.join("; ")}`);
  }
  const foreign = result.rows.map((r) => r.foreignCpuShare).sort((a, b) => a - b);
  if (foreign.length > 0) {
    out.push(
      `other processes on the server core: median ${((foreign[foreign.length >> 1] ?? Number.NaN) * 100).toFixed(0)}%, ` +
        `max ${((foreign.at(-1) ?? Number.NaN) * 100).toFixed(0)}% of wall time`,
    );
  }
  return out;
}

/**
 * Section D goals: the gateway adds ≤ 100 µs CPU per Version over gRPC; for
 * ListContainers over gRPC it adds at most containerd's own CPU/req (direct
 * cell); Connect JSON serves ≥ 1.5× the Go gateway's req/s for both methods.
 */
export function remoteGoals(result: RemoteResult): GoalResult[] {
  const find = (m: string, p: RemotePath) => result.rows.find((r) => r.method === m && r.path === p);
  const goals: GoalResult[] = [];
  const version = find("Version", "gateway-grpc");
  if (version !== undefined) {
    const added = version.cpuUsPerReq.gateway;
    goals.push({ goal: "D1 gateway adds <= 100 µs CPU per Version over gRPC", measured: `${us(added)} µs/req`, pass: added <= 100 });
  }
  const list = find("ListContainers", "gateway-grpc");
  const listDirect = find("ListContainers", "direct-grpc");
  if (list !== undefined && listDirect !== undefined) {
    const added = list.cpuUsPerReq.gateway;
    const own = listDirect.cpuUsPerReq.containerd;
    goals.push({
      goal: "D2 gateway adds <= containerd's own CPU per ListContainers over gRPC",
      measured: `${us(added)} vs ${us(own)} µs/req (${ratio(added / own)})`,
      pass: added <= own,
    });
  }
  const cells = ["Version", "ListContainers"].flatMap((m) => {
    const json = find(m, "gateway-connect-json");
    const go = find(m, "go-gateway-json");
    return json === undefined || go === undefined ? [] : [{ m, r: json.reqPerSec / go.reqPerSec, json, go }];
  });
  if (cells.length > 0) {
    goals.push({
      goal: "D3 Connect JSON through the gateway >= 1.5× the Go grpc-gateway's req/s (Version and ListContainers)",
      measured: cells.map((c) => `${c.m} ${ratio(c.r)} (${kilo(c.json.reqPerSec)} vs ${kilo(c.go.reqPerSec)})`).join(", "),
      pass: cells.length === 2 && cells.every((c) => c.r >= 1.5),
    });
  }
  const errors = result.rows.reduce((n, r) => n + r.errors, 0);
  if (errors > 0) goals.push({ goal: "D0 every loaded request succeeded", measured: `${errors} failed or non-2xx`, pass: false });
  return goals;
}

/** One line per goal. */
export function goalLines(goals: readonly GoalResult[]): string[] {
  return goals.map((g) => `${g.pass ? "PASS" : "FAIL"}  ${g.goal}: ${g.measured}`);
}
