/**
 * The unix-socket listener's file handling: deciding whether an existing path
 * may be replaced, creating the socket without a moment of wider access, and
 * removing it again on close without touching someone else's socket.
 */
import { chmod, lstat, unlink } from "node:fs/promises";
import net from "node:net";

/** The default permission bits of the socket file: owner read/write only. */
export const defaultSocketMode = 0o600;

/** How long a probe of an existing socket may take before we call it in use. */
const probeTimeoutMs = 1000;

/** Identifies the socket file we created, so close never removes a successor's. */
export interface SocketFileIdentity {
  dev: number;
  ino: number;
}

/**
 * Make `path` free for a new listener. A missing path is fine. An existing
 * socket nobody answers on (connect gives ECONNREFUSED) is stale and is
 * removed. Throws an Error when a process still answers on the socket, when
 * the path is not a socket (a regular file is never deleted), or when the
 * probe fails for another reason such as EACCES.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (err: unknown) {
    if (errorCode(err) === "ENOENT") return;
    throw err;
  }
  if (!stats.isSocket()) {
    throw new Error(`socket path ${path} exists and is not a socket; refusing to replace it`);
  }
  const probe = await probeSocket(path);
  if (probe === "gone") return;
  if (probe === "live") throw new Error(`socket ${path} is in use by another process`);
  await unlink(path).catch((err: unknown) => {
    if (errorCode(err) !== "ENOENT") throw err;
  });
}

/**
 * Listen on `path` and give the file `mode` (default 0600).
 *
 * NOTE: bind() creates the file with 0777 minus the umask, and a chmod after
 * listen would leave a window where others could connect. So the process
 * umask is set to 0177 for the synchronous part of `listen()`, which is where
 * Node binds, and restored right after. The umask is process-wide: a file
 * created by a thread-pool operation in that same instant would get 0600
 * too, which errs on the safe side. `process.umask(mask)` is unavailable in
 * worker threads, so this throws there rather than open the window.
 */
export async function listenOnSocket(
  server: net.Server,
  path: string,
  mode: number = defaultSocketMode,
): Promise<SocketFileIdentity> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new Error(`cannot listen on socket ${path}: ${err.message}`, { cause: err }));
    server.once("error", onError);
    let previous: number;
    try {
      previous = process.umask(0o177);
    } catch (err: unknown) {
      server.off("error", onError);
      reject(new Error(`cannot listen on socket ${path} safely: process.umask is unavailable here`, { cause: err }));
      return;
    }
    try {
      server.listen(path, () => {
        server.off("error", onError);
        resolve();
      });
    } finally {
      process.umask(previous);
    }
  });
  await chmod(path, mode);
  const { dev, ino } = await lstat(path);
  return { dev, ino };
}

/**
 * Remove the socket file if it is still the one we created. Closing a
 * listener usually removes it already (libuv unlinks on close); this covers
 * the rest and never removes a file a newer process put there.
 */
export async function removeSocketFile(path: string, identity: SocketFileIdentity): Promise<void> {
  try {
    const stats = await lstat(path);
    if (stats.isSocket() && stats.dev === identity.dev && stats.ino === identity.ino) await unlink(path);
  } catch (err: unknown) {
    if (errorCode(err) !== "ENOENT") throw err;
  }
}

/** Connect once to find out whether anything serves on `path`. */
function probeSocket(path: string): Promise<"live" | "stale" | "gone"> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    const finish = (result: "live" | "stale" | "gone" | Error) => {
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    socket.setTimeout(probeTimeoutMs, () => finish("live"));
    socket.once("connect", () => finish("live"));
    socket.once("error", (err: NodeJS.ErrnoException) => {
      switch (err.code) {
        case "ECONNREFUSED":
          return finish("stale");
        case "ENOENT":
          return finish("gone");
        // A full accept backlog: someone is listening.
        case "EAGAIN":
          return finish("live");
        default:
          return finish(new Error(`cannot check socket ${path}: ${err.message}`, { cause: err }));
      }
    });
  });
}

function errorCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String(err.code) : undefined;
}
