/**
 * Section B, memory runtime scale: runs the compiled `scale-child.ts` in its
 * own process (`node --expose-gc`, pinned to the server core) and returns its
 * figures.
 */
import { spawn } from "node:child_process";
import { builtBenchFile } from "./build.js";
import { serverCore } from "./proc.js";
import type { ScaleResult } from "./scale-child.js";

/** Run the scale bench with `pods × perPod` containers; bounded by `timeoutMs`. */
export function runScaleBench({
  pods = 10_000,
  perPod = 10,
  queries = 1000,
  timeoutMs = 300_000,
}: { pods?: number; perPod?: number; queries?: number; timeoutMs?: number } = {}): Promise<ScaleResult> {
  const script = builtBenchFile("scale-child.ts");
  const child = spawn(
    "taskset",
    ["-c", serverCore, process.execPath, "--expose-gc", "--max-old-space-size=4096", script,
      "--pods", String(pods), "--per-pod", String(perPod), "--queries", String(queries)],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CRI_GATEWAY_LOG_LEVEL: "warn" } },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err = (err + c.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`scale bench exited ${code}: ${err}`));
        return;
      }
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? "") as ScaleResult);
      } catch {
        reject(new Error(`scale bench printed no result: ${out.slice(-1000)} ${err}`));
      }
    });
  });
}
