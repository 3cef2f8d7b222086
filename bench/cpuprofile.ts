/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) and sums self time
 * by function and by area (gateway src, each package, node internals, GC),
 * optionally only for samples inside a time window on the profiler's clock.
 */

/** The parts of a .cpuprofile this reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One function's self time. */
export interface SelfTime {
  readonly name: string;
  /** Short source location: `src/…:line`, `@connectrpc/connect/…:line`, `node:internal/…:line`. */
  readonly where: string;
  readonly area: string;
  readonly selfMs: number;
  /** Share of busy (non-idle) time in the window. */
  readonly share: number;
}

/** The summary of one profile window. */
export interface ProfileSummary {
  readonly windowMs: number;
  readonly busyMs: number;
  readonly functions: SelfTime[];
  readonly areas: { area: string; selfMs: number; share: number }[];
  /** Gateway functions (src/) by inclusive time: themselves plus everything they call. */
  readonly gatewayInclusive: SelfTime[];
}

/** Sum self time per function within [fromUs, toUs] (the profiler's clock; default: whole profile). */
export function summarizeProfile(profile: CpuProfile, fromUs = -Infinity, toUs = Infinity): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
  const inclusive = new Map<string, { name: string; where: string; area: string; us: number }>();
  const perKey = new Map<string, { name: string; where: string; area: string; us: number }>();
  const perArea = new Map<string, number>();
  let t = profile.startTime;
  let windowUs = 0;
  let idleUs = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    t += timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one (as DevTools counts it).
    const span = i + 1 < samples.length ? (timeDeltas[i + 1] ?? 0) : 0;
    if (t < fromUs || t > toUs || span <= 0) continue;
    const node = byId.get(samples[i] as number);
    if (node === undefined) continue;
    windowUs += span;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName === "" ? "(anonymous)" : functionName;
    if (name === "(idle)") {
      idleUs += span;
      continue;
    }
    const where = locate(url, lineNumber);
    const area = areaOf(name, url);
    const key = `${name} ${where}`;
    const entry = perKey.get(key) ?? { name, where, area, us: 0 };
    entry.us += span;
    perKey.set(key, entry);
    perArea.set(area, (perArea.get(area) ?? 0) + span);
    // Count the sample once for every distinct gateway function on its stack.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parentOf.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (frame === undefined || !/\/src\//.test(frame.url)) continue;
      const fname = frame.functionName === "" ? "(anonymous)" : frame.functionName;
      const fwhere = locate(frame.url, frame.lineNumber);
      const fkey = `${fname} ${fwhere}`;
      if (seen.has(fkey)) continue;
      seen.add(fkey);
      const inc = inclusive.get(fkey) ?? { name: fname, where: fwhere, area: areaOf(fname, frame.url), us: 0 };
      inc.us += span;
      inclusive.set(fkey, inc);
    }
  }
  const busyUs = windowUs - idleUs;
  const share = (us: number) => (busyUs > 0 ? us / busyUs : 0);
  return {
    windowMs: windowUs / 1000,
    busyMs: busyUs / 1000,
    functions: [...perKey.values()]
      .sort((a, b) => b.us - a.us)
      .map((e) => ({ name: e.name, where: e.where, area: e.area, selfMs: e.us / 1000, share: share(e.us) })),
    areas: [...perArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, selfMs: us / 1000, share: share(us) })),
    gatewayInclusive: [...inclusive.values()]
      .sort((a, b) => b.us - a.us)
      .map((e) => ({ name: e.name, where: e.where, area: e.area, selfMs: e.us / 1000, share: share(e.us) })),
  };
}

// tsx-compiled sources report every function on line 1; a line is only shown when it means something.
function locate(url: string, lineNumber: number): string {
  if (url === "") return "";
  return url.endsWith(".ts") && lineNumber === 0 ? shortUrl(url) : `${shortUrl(url)}:${lineNumber + 1}`;
}

function shortUrl(url: string): string {
  const built = url.indexOf("/.build/");
  if (built >= 0) return url.slice(built + "/.build/".length);
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) return url.slice(modules + "/node_modules/".length).replace(/\/dist\/(esm|cjs)\//, "/");
  const root = /\/(src|gen|bench)\//.exec(url);
  if (root !== null) return url.slice(root.index + 1);
  return url.replace(/^file:\/\//, "");
}

function areaOf(name: string, url: string): string {
  if (url === "") return name.startsWith("(") ? name : "V8/native builtins";
  if (url.startsWith("node:")) return "node internals";
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "/node_modules/".length).split("/");
    return (rest[0] ?? "").startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? "?");
  }
  const root = /\/(src|gen|bench)\/([^/]+)/.exec(url.replace(/^.*\/\.build\//, "/"));
  if (root !== null) return root[1] === "src" ? `src/${root[2]}` : (root[1] ?? "?");
  return "other";
}
