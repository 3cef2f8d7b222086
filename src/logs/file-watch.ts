/**
 * Waiting for a log file to change while following it: an fs.watch on the
 * file's directory (so a new file appearing at the path after a rotation is
 * seen too) plus a bounded poll, because watches can miss events (network
 * file systems, inotify limits) and the kubelet re-checks every second too.
 * One watcher per follow; {@link FileWatch.close} releases it and any timer.
 */
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";

/** Waits for changes of one file. */
export interface FileWatch {
  /**
   * Resolve at the next change of the file (or its name in the directory),
   * after `pollMs` at the latest, or at once when a change came since the
   * last wait. Resolves (never rejects) when `signal` aborts.
   */
  next(signal: AbortSignal): Promise<void>;
  /** Stop watching; idempotent. */
  close(): void;
}

/** Watch `path`; falls back to polling alone when the directory cannot be watched. */
export function createFileWatch(path: string, { pollMs }: { pollMs: number }): FileWatch {
  const name = basename(path);
  let changed = false;
  let wake: (() => void) | undefined;
  const poke = () => {
    changed = true;
    wake?.();
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: true }, (_event, file) => {
      // Some platforms omit the name; treat that as a change of ours.
      if (file === null || file === name || String(file) === name) poke();
    });
    watcher.on("error", () => {
      watcher?.close();
      watcher = undefined;
    });
  } catch {
    watcher = undefined;
  }
  return {
    next(signal) {
      if (changed || signal.aborted) {
        changed = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          wake = undefined;
          changed = false;
          resolve();
        };
        const timer = setTimeout(done, pollMs);
        wake = done;
        signal.addEventListener("abort", done, { once: true });
      });
    },
    close() {
      watcher?.close();
      watcher = undefined;
      wake?.();
    },
  };
}
