/**
 * The profile section: run the gateway under `node --cpu-prof`, load one
 * method and protocol, cut the profile to the load window (server-side marks
 * on the profiler's monotonic clock) and sum self time by function.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CpuProfile, type ProfileSummary, summarizeProfile } from "./cpuprofile.js";
import { measure } from "./protocol.js";
import { type BenchMethod, type ProtocolName, requestBody } from "./payloads.js";
import { type ServerKey, startServer } from "./server-process.js";

/** One profiled load. */
export interface ProfileResult {
  readonly server: ServerKey;
  readonly method: BenchMethod;
  readonly protocol: ProtocolName;
  readonly reqPerSec: number;
  readonly summary: ProfileSummary;
  /** Where the raw .cpuprofile was kept (open it in Chrome DevTools), if kept. */
  readonly file?: string;
}

/** Profile `server` serving `method` over `protocol` for `seconds`. */
export async function profileServer({
  server: key,
  method,
  protocol,
  seconds,
  warmupSeconds,
  tmpDir,
  keepDir,
}: {
  server: ServerKey;
  method: BenchMethod;
  protocol: ProtocolName;
  seconds: number;
  warmupSeconds: number;
  tmpDir: string;
  /** Copy the raw profile here; omit to discard it. */
  keepDir?: string;
}): Promise<ProfileResult> {
  const profDir = mkdtempSync(join(tmpDir, "prof-"));
  const server = await startServer(key, ["--cpu-prof", "--cpu-prof-dir", profDir]);
  let from = 0;
  let to = 0;
  let reqPerSec = 0;
  try {
    const bodyFile = join(tmpDir, `profile.${method}.${protocol}.body`);
    writeFileSync(bodyFile, requestBody(protocol, method));
    await measure(server, method, protocol, bodyFile, { seconds: warmupSeconds, warmupSeconds: 0, tmpDir });
    from = await server.mark();
    reqPerSec = (await measure(server, method, protocol, bodyFile, { seconds, warmupSeconds: 0, tmpDir })).reqPerSec;
    to = await server.mark();
  } finally {
    await server.stop();
  }
  const name = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
  if (name === undefined) throw new Error(`no .cpuprofile written by ${key}`);
  const text = readFileSync(join(profDir, name), "utf8");
  const profile = JSON.parse(text) as CpuProfile;
  // The marks and the profile share CLOCK_MONOTONIC; fall back to the whole profile if not.
  const inside = from >= profile.startTime && to <= profile.endTime && from < to;
  const full = inside ? summarizeProfile(profile, from, to) : summarizeProfile(profile);
  // Keep the report (and --json) readable; the raw profile has the rest.
  const summary = { ...full, functions: full.functions.slice(0, 50), gatewayInclusive: full.gatewayInclusive.slice(0, 20) };
  let file: string | undefined;
  if (keepDir !== undefined) {
    file = join(keepDir, `${key}.${method}.${protocol}.cpuprofile`);
    writeFileSync(file, text);
  }
  rmSync(profDir, { recursive: true, force: true });
  return { server: key, method, protocol, reqPerSec, summary, ...(file === undefined ? {} : { file }) };
}
