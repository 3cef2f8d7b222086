/**
 * Section C, start to ready: spawn the CLI (`serve --listen 127.0.0.1:0`)
 * pinned to the server core, time from spawn to its ready line, read VmRSS
 * once it has idled for a moment, and stop it with SIGTERM (by pid).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { median, rssKiB, serverCore, spawnPinned, waitForExit, waitForLine } from "./proc.js";

/** One way of starting the CLI. */
export interface StartupResult {
  readonly label: string;
  readonly readyMs: number[];
  readonly medianReadyMs: number;
  readonly medianIdleRssMiB: number;
}

/** The repository root (bench/..). */
export const repoRoot = join(import.meta.dirname, "..");

/** Build dist/ with `npm run build` unless the CLI is already built. Returns whether it built. */
export function ensureBuilt(): boolean {
  if (existsSync(join(repoRoot, "dist/src/cli/main.js"))) return false;
  execFileSync("npm", ["run", "build"], { cwd: repoRoot, stdio: ["ignore", "ignore", "inherit"], timeout: 180_000 });
  return true;
}

/** Start the CLI `runs` times with `nodeArgs` and time each start. */
export async function measureStartup(
  label: string,
  nodeArgs: readonly string[],
  { runs = 5, idleMs = 500 }: { runs?: number; idleMs?: number } = {},
): Promise<StartupResult> {
  const readyMs: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const child = spawnPinned(serverCore, process.execPath, [...nodeArgs, "serve", "--listen", "127.0.0.1:0"], {
      env: { ...process.env, CRI_GATEWAY_LOG_LEVEL: "warn" },
    });
    try {
      const { at } = await waitForLine(child, (line) => (line.startsWith("cri-gateway ready:") ? line : undefined));
      readyMs.push(at - t0);
      await new Promise((r) => setTimeout(r, idleMs));
      if (child.pid !== undefined) rss.push(rssKiB(child.pid) / 1024);
    } finally {
      child.kill("SIGTERM");
      await waitForExit(child, 5000);
    }
  }
  return { label, readyMs, medianReadyMs: median(readyMs), medianIdleRssMiB: median(rss) };
}
