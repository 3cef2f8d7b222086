/**
 * The real gateway as a child process, started through the CLI exactly as an
 * operator would (`cri-gateway serve`), on an ephemeral loopback port and a
 * unix socket in a fresh temp dir. The addresses come from the ready line.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The repository root (this file lives in test/interop/). */
export const repoRoot = resolve(import.meta.dirname, "../..");

/** A running gateway process. */
export interface GatewayProcess {
  /** Base URL of the TCP listener, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** `127.0.0.1:PORT`, the form gRPC clients take as a target. */
  readonly hostPort: string;
  /** Absolute path of the unix socket. */
  readonly socketPath: string;
  readonly pid: number;
  /** Everything the process printed so far (for failure messages). */
  output(): string;
  /** SIGTERM by pid, wait for exit (SIGKILL after 5 s), remove the temp dir. */
  stop(): Promise<void>;
}

const readyLine = /^cri-gateway ready: runtime=\S+ listening on (http:\/\/(\S+)) unix:\/\/(\S+)$/m;

/**
 * Start `cri-gateway serve --listen 127.0.0.1:0 --socket <tmp>/cri.sock`
 * (plus `extraArgs`, e.g. a remote runtime) and wait for its ready line.
 */
export async function startGatewayProcess(readyTimeoutMs = 20_000, extraArgs: readonly string[] = []): Promise<GatewayProcess> {
  const dir = await mkdtemp(join(tmpdir(), "cri-interop-"));
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "serve", "--listen", "127.0.0.1:0", "--socket", join(dir, "cri.sock"), "--log-level", "warn", ...extraArgs],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  const exited = new Promise<void>((done) => child.once("exit", () => done()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, "SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((done) => {
        timer = setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, "SIGKILL");
          done();
        }, 5_000);
      });
      await Promise.race([exited, killed]);
      clearTimeout(timer);
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const match = await waitForReady(child, () => out, readyTimeoutMs);
    return {
      url: match[1] ?? "",
      hostPort: match[2] ?? "",
      socketPath: match[3] ?? "",
      pid: child.pid ?? -1,
      output: () => out,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function waitForReady(child: ChildProcess, output: () => string, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolvePromise, reject) => {
    const check = () => {
      const match = readyLine.exec(output());
      if (match === null) return;
      finish();
      resolvePromise(match);
    };
    const onExit = (code: number | null, signal: string | null) => {
      finish();
      reject(new Error(`gateway exited (${code ?? signal}) before its ready line:\n${output()}`));
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`no ready line from the gateway within ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      child.stdout?.off("data", check);
      child.off("exit", onExit);
    };
    child.stdout?.on("data", check);
    child.on("exit", onExit);
    check();
  });
}
