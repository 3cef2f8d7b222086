/**
 * Run an external program with a hard time limit and collect what it wrote.
 * The interop suites drive non-JavaScript clients this way; a client that
 * hangs is killed (by its own pid) rather than stalling the test run.
 */
import { spawn, spawnSync } from "node:child_process";

/** What a finished (or killed) command left behind. */
export interface CommandResult {
  /** Exit status, or null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the time limit killed it. */
  readonly timedOut: boolean;
}

/** Options for {@link runCommand}. */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the command after this long (default 60 s). */
  readonly timeoutMs?: number;
}

/**
 * Run `file` with `args` and resolve with its exit status and output. Never
 * rejects for a non-zero exit; rejects only if the program cannot be started.
 */
export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const { cwd, env, timeoutMs = 60_000 } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        timedOut,
      });
    });
  });
}

/** A one-paragraph account of a command's outcome, for assertion messages. */
export function describeResult(what: string, result: CommandResult): string {
  const end = result.timedOut ? "timed out" : result.signal !== null ? `died of ${result.signal}` : `exited ${result.code}`;
  return `${what} ${end}\n--- stdout ---\n${result.stdout.slice(-4000)}\n--- stderr ---\n${result.stderr.slice(-4000)}`;
}

/** Whether `name` is a program on PATH (`command -v`). */
export function onPath(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v "$1" >/dev/null`, "sh", name]).status === 0;
}
