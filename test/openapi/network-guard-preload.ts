/**
 * Preload for a child process (`node --import tsx --import <this file> ...`):
 * installs the network guard and, at exit, appends every refused destination
 * (one a line) to the file named by CRI_NETWORK_GUARD_LOG.
 */
import { appendFileSync } from "node:fs";
import { installNetworkGuard } from "./network-guard.js";

const guard = installNetworkGuard();
const logFile = process.env.CRI_NETWORK_GUARD_LOG;
process.on("exit", () => {
  if (logFile !== undefined && guard.blocked.length > 0) appendFileSync(logFile, `${guard.blocked.join("\n")}\n`);
});
