/**
 * Runs the `cri-gateway` CLI (src/cli/main.ts through tsx) as a child
 * process: either to completion (`--help`, usage errors) or as a server whose
 * ready line gives its URL. Every wait is bounded, and a server the test
 * forgot is killed by pid on teardown.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository root, where `src/cli/main.ts` lives. */
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const cliArgs = ["--import", "tsx", "src/cli/main.ts"];

/** How a finished CLI run ended. */
export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the CLI to completion; kills it (by pid) after `timeoutMs`. */
export async function runCli(args: string[], { timeoutMs = 20_000 }: { timeoutMs?: number } = {}): Promise<CliExit> {
  const cli = startCli(args);
  return await cli.exit(timeoutMs);
}

/** A running CLI server. */
export interface CliServer {
  readonly child: ChildProcess;
  /** The TCP URL from the ready line. */
  readonly url: string;
  /** The unix socket path from the ready line, if any. */
  readonly socketPath?: string;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Wait for the process to exit; after `timeoutMs` kill it with SIGKILL and reject. */
  exit(timeoutMs: number): Promise<CliExit>;
  /** Kill the process (SIGKILL) if it is still running. */
  kill(): void;
}

/**
 * Start `cri-gateway serve ...` and wait for its ready line
 * (`cri-gateway ready: runtime=... listening on http://... unix://...`).
 * Rejects, killing the child, if it exits or stays silent for `timeoutMs`.
 */
export async function startCliServer(args: string[], { timeoutMs = 20_000 }: { timeoutMs?: number } = {}): Promise<CliServer> {
  const cli = startCli(["serve", ...args]);
  const ready = /^cri-gateway ready: runtime=\S+ listening on (\S+)(?: unix:\/\/(\S+))?$/m;
  try {
    const match = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line within ${timeoutMs} ms: ${cli.stderr()}`)), timeoutMs);
      const check = () => {
        const found = ready.exec(cli.stdout());
        if (found !== null) {
          clearTimeout(timer);
          resolve(found);
        }
      };
      cli.child.stdout?.on("data", check);
      cli.child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`cri-gateway exited (${code}) before it was ready: ${cli.stderr()}`));
      });
    });
    return { ...cli, url: match[1] as string, socketPath: match[2] };
  } catch (err) {
    cli.kill();
    throw err;
  }
}

function startCli(args: string[]): Omit<CliServer, "url" | "socketPath"> {
  const child = spawn(process.execPath, [...cliArgs, ...args], {
    cwd: repoRoot,
    env: { ...process.env, CRI_GATEWAY_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<CliExit>((resolve) => {
    // 'close' also waits for stdio to be drained.
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    kill,
    exit(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          kill();
          reject(new Error(`cri-gateway did not exit within ${timeoutMs} ms; killed it. stderr: ${stderr}`));
        }, timeoutMs);
      });
      return Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    },
  };
}
