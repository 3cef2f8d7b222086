/**
 * The log files of simulated containers, in the CRI format a real runtime
 * writes (`2016-10-06T00:17:09.669794202Z stdout F text`): what the main
 * process prints from StartContainer on, and what attach echoes. Files live
 * at the sandbox's log_directory joined with the container's log_path, only
 * when both are set, as containerd does; ReopenContainerLog closes the file
 * and opens log_path anew, for a kubelet that renamed it away.
 *
 * NOTE: the main process runs in the simulated shell. A command the shell
 * does not know (a real server binary) prints nothing; one that finishes
 * (`echo hi`) leaves the container running, as the memory runtime always
 * has. Each file is capped at {@link maxLogFileBytes}; beyond it, lines are
 * dropped (a kubelet would have rotated it long before).
 */
import { closeSync, fstatSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { CoreError } from "../../core/core-error.js";
import { formatCriWriteTime } from "../../logs/log-time.js";
import { log } from "../../observability/logger.js";
import { containerView } from "./exec-sync.js";
import { isSimulatedCommand, runSimulatedCommand } from "./sim-shell.js";
import type { MemoryState } from "./state.js";
import { containerConfigOf } from "./store/container-config.js";
import type { ContainerChange, ContainerRecord } from "./store/container-store.js";

/** Largest log file the simulator writes, in bytes. */
export const maxLogFileBytes = 16 * 1024 * 1024;
/** A line longer than this goes out in partial (P) records, as containerd splits at 16 KiB. */
const maxRecordBytes = 16 * 1024;

/** The log writers of one memory runtime. */
export interface ContainerLogs {
  /** Follow a container's lifecycle: open and run on start, stop and close on exit or removal. */
  onChange(change: ContainerChange, record: ContainerRecord): void;
  /** Close the container's log file and open its path again (ReopenContainerLog). Throws CoreError("internal") when that fails. */
  reopen(containerId: string): void;
  /** Write what the container printed on `stream`; a no-op without a log file. */
  write(containerId: string, stream: "stdout" | "stderr", text: string): void;
  /** Stop every process and close every file. */
  close(): void;
}

interface OpenLog {
  readonly path: string;
  fd: number | undefined;
  size: number;
  readonly pending: { stdout: string; stderr: string };
  readonly stop: AbortController;
}

/** Build the writers; `state` is read lazily (the state holds these writers). */
export function createContainerLogs(state: () => MemoryState): ContainerLogs {
  const open = new Map<string, OpenLog>();

  const record = (entry: OpenLog, stream: "stdout" | "stderr", tag: "F" | "P", content: string): void => {
    if (entry.fd === undefined) return;
    const line = `${formatCriWriteTime(state().clock())} ${stream} ${tag} ${content}\n`;
    const bytes = Buffer.byteLength(line);
    if (entry.size + bytes > maxLogFileBytes) return;
    try {
      writeSync(entry.fd, line);
      entry.size += bytes;
    } catch (err) {
      log.warn("cannot write a simulated container log", { error: err instanceof Error ? err.message : String(err) });
    }
  };

  const write = (id: string, stream: "stdout" | "stderr", text: string): void => {
    const entry = open.get(id);
    if (entry === undefined || text === "") return;
    let buffered = entry.pending[stream] + text;
    for (let at = buffered.indexOf("\n"); at >= 0; at = buffered.indexOf("\n")) {
      record(entry, stream, "F", buffered.slice(0, at));
      buffered = buffered.slice(at + 1);
    }
    while (Buffer.byteLength(buffered) > maxRecordBytes) {
      record(entry, stream, "P", buffered.slice(0, maxRecordBytes));
      buffered = buffered.slice(maxRecordBytes);
    }
    entry.pending[stream] = buffered;
  };

  const flush = (entry: OpenLog): void => {
    for (const stream of ["stdout", "stderr"] as const) {
      if (entry.pending[stream] !== "") record(entry, stream, "F", entry.pending[stream]);
      entry.pending[stream] = "";
    }
  };

  const openFile = (path: string): { fd: number; size: number } => {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, "a", 0o640);
    return { fd, size: fstatSync(fd).size };
  };

  const start = (container: ContainerRecord): void => {
    const s = state();
    const sandbox = s.sandboxes.get(container.podSandboxId);
    const directory = sandbox?.config.logDirectory ?? "";
    const config = containerConfigOf(container);
    if (directory === "" || config.logPath === "" || !isAbsolute(directory)) return;
    const path = resolve(directory, config.logPath);
    // The simulator writes on the host: never outside the pod's directory.
    const rel = relative(resolve(directory), path);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return;
    let file: { fd: number; size: number };
    try {
      file = openFile(path);
    } catch (err) {
      log.warn("cannot open a simulated container log", { container: container.id, error: err instanceof Error ? err.message : String(err) });
      return;
    }
    const entry: OpenLog = { path, ...file, pending: { stdout: "", stderr: "" }, stop: new AbortController() };
    open.set(container.id, entry);

    const argv = [...config.command, ...config.args];
    if (argv.length === 0 || !isSimulatedCommand(argv[0] as string)) return;
    const signal = entry.stop.signal;
    void runSimulatedCommand(argv, {
      ...containerView(container, sandbox),
      sleep: (seconds) => delay(seconds * 1000, undefined, { signal }),
      maxOutputBytes: 0,
      tee: { out: (text) => write(container.id, "stdout", text), err: (text) => write(container.id, "stderr", text) },
    }).catch(() => {
      // Stopped mid-sleep: the process died with its container.
    });
  };

  const finish = (id: string): void => {
    const entry = open.get(id);
    if (entry === undefined) return;
    open.delete(id);
    entry.stop.abort();
    flush(entry);
    if (entry.fd !== undefined) closeSync(entry.fd);
    entry.fd = undefined;
  };

  return {
    onChange(change, container) {
      if (change === "started") start(container);
      else if (change === "stopped" || change === "deleted") finish(container.id);
    },
    reopen(containerId) {
      const entry = open.get(containerId);
      if (entry === undefined) return;
      flush(entry);
      if (entry.fd !== undefined) closeSync(entry.fd);
      entry.fd = undefined;
      try {
        const file = openFile(entry.path);
        entry.fd = file.fd;
        entry.size = file.size;
      } catch (err) {
        throw new CoreError("internal", `cannot reopen the log of container "${containerId}"`, { cause: err });
      }
    },
    write,
    close() {
      for (const id of [...open.keys()]) finish(id);
    },
  };
}
