/**
 * What every bench server process shares: seeding the memory runtime, a
 * one-line ready announcement on stdout, and a tiny stdin control channel.
 *
 * stdout: `{"ready":true,"h1":URL,"h2":URL}` once listening (h1 serves
 * HTTP/1.1, h2 serves h2c; the gateway serves both on one port).
 * stdin: `mark` answers `{"mark":µs}` on the monotonic clock the CPU profiler
 * stamps samples with, so a profile can be cut to the load window; `exit` (or
 * stdin closing) closes the servers and exits 0, which also lets
 * `node --cpu-prof` write its profile.
 */
import type { Server as HttpServer } from "node:http";
import type { Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { type MemoryRuntime } from "../../src/runtimes/memory/index.js";
import { createBenchRuntime, seedRuntime } from "../seed.js";

/** Pods and containers per pod in every protocol-bench server: 50 containers. */
export const serverSeed = { pods: 5, containersPerPod: 10 } as const;

/** A memory runtime holding the protocol bench's 50 containers. */
export async function createSeededRuntime(gatewayUrl?: () => string): Promise<MemoryRuntime> {
  const core = createBenchRuntime(gatewayUrl);
  await seedRuntime(core, serverSeed);
  return core;
}

/** Listen on 127.0.0.1 and an ephemeral port; resolves the base URL. */
export function listenLoopback(server: HttpServer | Http2Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

/** Print the ready line and serve the control channel until told to exit. */
export function announce(urls: { h1: string; h2: string }, close: () => Promise<void>): void {
  process.stdout.write(`${JSON.stringify({ ready: true, ...urls })}\n`);
  let exiting = false;
  const exit = () => {
    if (exiting) return;
    exiting = true;
    // Closing can wait on keep-alive sockets; never let it hold the exit.
    const force = setTimeout(() => process.exit(0), 2000);
    force.unref();
    close().finally(() => process.exit(0));
  };
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    const command = line.trim();
    if (command === "mark") process.stdout.write(`${JSON.stringify({ mark: Number(process.hrtime.bigint() / 1000n) })}\n`);
    else if (command === "exit") exit();
  });
  lines.on("close", exit);
}

/** Close a server and drop its idle keep-alive connections. */
export function closeServer(server: HttpServer | Http2Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    if ("closeAllConnections" in server) server.closeAllConnections();
  });
}
