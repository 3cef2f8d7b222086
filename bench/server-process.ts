/**
 * Starts one bench server (`bench/servers/*.ts`) as its own process pinned to
 * the server core, and talks to it over the harness's stdin/stdout channel.
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { builtBenchFile } from "./build.js";
import { serverCore, spawnPinned, waitForExit } from "./proc.js";

/** The servers the protocol bench compares. */
export type ServerKey = "bare" | "stock" | "gateway" | "gateway-no-fast-path";

/** How to start each server. */
export const serverSpecs: Record<ServerKey, { label: string; script: string; args: string[] }> = {
  bare: { label: "bare node:http/http2", script: "bare.ts", args: [] },
  stock: { label: "stock connect-node", script: "stock-connect.ts", args: [] },
  gateway: { label: "gateway", script: "gateway.ts", args: [] },
  "gateway-no-fast-path": { label: "gateway, no fast path", script: "gateway.ts", args: ["--no-fast-path"] },
};

/** A started bench server. */
export interface ServerProcess {
  readonly key: ServerKey;
  readonly pid: number;
  /** Base URLs for HTTP/1.1 and h2c. */
  readonly h1: string;
  readonly h2: string;
  /** The server's monotonic clock in µs (the CPU profiler's time base). */
  mark(): Promise<number>;
  /** Ask it to exit (bounded: SIGKILL by pid after 5 s). */
  stop(): Promise<void>;
}

/**
 * Start server `key` from the compiled tree (run `buildForBench` first);
 * `nodeArgs` go before the script (e.g. `--cpu-prof`).
 */
export async function startServer(key: ServerKey, nodeArgs: readonly string[] = []): Promise<ServerProcess> {
  const spec = serverSpecs[key];
  const script = builtBenchFile(`servers/${spec.script}`);
  const child = spawnPinned(serverCore, process.execPath, [...nodeArgs, script, ...spec.args], {
    stdin: "pipe",
    env: { ...process.env, CRI_GATEWAY_LOG_LEVEL: "warn" },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${key}`);
  const lines = createLineQueue(child);
  const ready = (await lines.next(30_000)) as { ready?: boolean; h1?: string; h2?: string };
  if (ready.ready !== true || ready.h1 === undefined || ready.h2 === undefined) {
    child.kill("SIGKILL");
    throw new Error(`${key}: unexpected first line ${JSON.stringify(ready)}`);
  }
  return {
    key,
    pid,
    h1: ready.h1,
    h2: ready.h2,
    async mark() {
      child.stdin?.write("mark\n");
      const reply = (await lines.next(5000)) as { mark?: number };
      if (typeof reply.mark !== "number") throw new Error(`${key}: bad mark reply ${JSON.stringify(reply)}`);
      return reply.mark;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.stdin?.end("exit\n");
      await waitForExit(child, 5000);
    },
  };
}

// JSON lines from the child's stdout, handed out in order.
function createLineQueue(child: ChildProcess) {
  const queued: unknown[] = [];
  const waiting: ((value: unknown) => void)[] = [];
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  if (child.stdout === null) throw new Error("child has no stdout");
  createInterface({ input: child.stdout }).on("line", (line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    const waiter = waiting.shift();
    if (waiter === undefined) queued.push(value);
    else waiter(value);
  });
  return {
    next(timeoutMs: number): Promise<unknown> {
      if (queued.length > 0) return Promise.resolve(queued.shift());
      return new Promise((resolve, reject) => {
        const onExit = (code: number | null) => fail(new Error(`server ${child.pid} exited (${code}): ${stderr}`));
        const timer = setTimeout(() => fail(new Error(`server ${child.pid} silent for ${timeoutMs} ms: ${stderr}`)), timeoutMs);
        const fail = (err: Error) => {
          clearTimeout(timer);
          child.off("exit", onExit);
          const i = waiting.indexOf(settle);
          if (i >= 0) waiting.splice(i, 1);
          reject(err);
        };
        const settle = (value: unknown) => {
          clearTimeout(timer);
          child.off("exit", onExit);
          resolve(value);
        };
        child.once("exit", onExit);
        waiting.push(settle);
      });
    },
  };
}
