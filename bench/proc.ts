/**
 * Process plumbing for the benches: spawn pinned to a core with `taskset`,
 * wait for a line on stdout, and read CPU time and RSS from /proc.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

/** The core servers run on; the load generator gets the other one. */
export const serverCore = "0";
export const loadCore = "1";

/** Clock ticks per second of /proc/PID/stat times (CLK_TCK; 100 on Linux). */
const clockTicks = 100;

/** Spawn `command args` pinned to `core`. The pid is the command's (taskset execs it). */
export function spawnPinned(
  core: string,
  command: string,
  args: readonly string[],
  { stdin = "ignore", env }: { stdin?: "pipe" | "ignore"; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  return spawn("taskset", ["-c", core, command, ...args], {
    stdio: [stdin, "pipe", "pipe"],
    env: env ?? process.env,
  });
}

/**
 * Resolve the first stdout line `accept` returns a value for, with the time
 * it arrived (performance.now()). Rejects on exit or after `timeoutMs`.
 */
export function waitForLine<T>(
  child: ChildProcess,
  accept: (line: string) => T | undefined,
  timeoutMs = 30_000,
): Promise<{ value: T; at: number }> {
  return new Promise((resolve, reject) => {
    if (child.stdout === null) {
      reject(new Error("child has no stdout"));
      return;
    }
    const lines = createInterface({ input: child.stdout });
    let stderr = "";
    const onErr = (chunk: Buffer) => {
      stderr += chunk.toString();
    };
    child.stderr?.on("data", onErr);
    const done = () => {
      clearTimeout(timer);
      lines.off("line", onLine);
      lines.close();
      child.off("exit", onExit);
      child.stderr?.off("data", onErr);
    };
    const onLine = (line: string) => {
      const value = accept(line);
      if (value === undefined) return;
      const at = performance.now();
      done();
      resolve({ value, at });
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`process ${child.pid} exited (${code}) before it was ready: ${stderr.slice(-2000)}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`process ${child.pid} not ready after ${timeoutMs} ms: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    lines.on("line", onLine);
    child.on("exit", onExit);
  });
}

/** User + system CPU time of `pid` (all its threads), in microseconds. */
export function cpuTimeUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name may hold spaces; fields start after its closing paren.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1e6) / clockTicks;
}

/** Busy (user + nice + system) time of one CPU core, machine-wide, in microseconds. */
export function coreBusyUs(core: string): number {
  const line = readFileSync("/proc/stat", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`cpu${core} `));
  if (line === undefined) return Number.NaN;
  const [user = 0, nice = 0, system = 0] = line.split(/\s+/).slice(1, 4).map(Number);
  return ((user + nice + system) * 1e6) / clockTicks;
}

/** Resident set size of `pid` in KiB (VmRSS). */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

/** Wait for `child` to exit; SIGKILL it (by pid) if it has not after `timeoutMs`. */
export function waitForExit(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Median of a list of numbers (NaN for none). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (0–100) of a list of numbers (NaN for none). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}
