/**
 * The unix-socket listener's file handling: deciding whether an existing path
 * may be replaced, creating the socket without a moment of wider access and
 * publishing it atomically, and removing it again on close without touching
 * someone else's socket.
 */
import { randomBytes } from "node:crypto";
import { chmod, link, lstat, rename, unlink } from "node:fs/promises";
import net from "node:net";
import { basename, dirname, join } from "node:path";

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

/** The most bytes of a socket path bind() takes: sun_path is 108 bytes on Linux, NUL included. */
export const maxSocketPathBytes = 107;

/**
 * The private name a socket is bound at before it is published at `path`:
 * `.<basename>.<pid>.<random>.tmp` in the same directory, or undefined when
 * that would not fit in sun_path.
 */
export function temporarySocketPath(path: string): string | undefined {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  return Buffer.byteLength(temp) <= maxSocketPathBytes ? temp : undefined;
}

/**
 * Listen on `path` with file mode `mode` (default 0600). Call
 * {@link prepareSocketPath} first. Throws a TypeError for a mode outside
 * 0..0o777, and an Error when binding fails or `path` is taken meanwhile.
 *
 * NOTE: the socket is bound at a temporary name in the same directory (see
 * {@link temporarySocketPath}), given its mode there, and then hard-linked to
 * `path` and the temporary name removed. Three reasons:
 * - libuv unlinks the name a pipe was bound to when the server closes, before
 *   we can compare dev/ino; that name is now the long-gone temporary one, so
 *   a successor bound at `path` keeps its socket ({@link removeSocketFile}
 *   does the real removal).
 * - Nothing is ever chmod-ed through `path`, so a symlink swapped in there
 *   cannot redirect the chmod to another file.
 * - link() never replaces an existing file (rename() would), so the
 *   stale-socket rules of {@link prepareSocketPath} hold even if something
 *   appears at `path` meanwhile: it is checked again and a live socket or a
 *   non-socket is refused. File systems without hard links fall back to rename().
 *
 * bind() creates the file with 0777 minus the umask, so the process umask is
 * set to give exactly `mode` for the synchronous part of `listen()`, which is
 * where Node binds, and restored right after; the file never has wider access
 * than `mode`. The umask is process-wide: a file created by a thread-pool
 * operation in that same instant would get that mask too, which errs on the
 * safe side. `process.umask(mask)` is unavailable in worker threads, so this
 * throws there rather than open a window.
 *
 * When the temporary name would not fit in sun_path, the socket is bound at
 * `path` directly with the umask alone (no chmod; a default ACL on the
 * directory would then decide the mode), and libuv's unlink on close would
 * remove a successor's socket at `path`. Keep socket paths well under 107
 * bytes to avoid that.
 */
export async function listenOnSocket(
  server: net.Server,
  path: string,
  mode: number = defaultSocketMode,
): Promise<SocketFileIdentity> {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw new TypeError(`socket mode must be permission bits between 0 and 0o777, got ${mode}`);
  }
  const temp = temporarySocketPath(path);
  if (temp === undefined) {
    await bindSocket(server, path, mode, path);
    const { dev, ino } = await identify(path);
    return { dev, ino };
  }
  await bindSocket(server, temp, mode, path);
  const bound = await identify(temp);
  if (bound.mode !== mode) {
    // A default ACL on the directory overrides the umask. Fix the mode on the
    // private name, before anyone can reach the socket through `path`.
    await chmod(temp, mode);
    const after = await identify(temp);
    if (after.dev !== bound.dev || after.ino !== bound.ino) {
      throw new Error(`cannot listen on socket ${path}: ${temp} was replaced while binding`);
    }
  }
  await publishSocket(temp, path);
  return { dev: bound.dev, ino: bound.ino };
}

/** Bind `server` at `bindPath` under a umask that yields `mode`; `path` names the socket in errors. */
function bindSocket(server: net.Server, bindPath: string, mode: number, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new Error(`cannot listen on socket ${path}: ${err.message}`, { cause: err }));
    server.once("error", onError);
    let previous: number;
    try {
      previous = process.umask(0o777 & ~mode);
    } catch (err: unknown) {
      server.off("error", onError);
      reject(new Error(`cannot listen on socket ${path} safely: process.umask is unavailable here`, { cause: err }));
      return;
    }
    try {
      server.listen(bindPath, () => {
        server.off("error", onError);
        resolve();
      });
    } finally {
      process.umask(previous);
    }
  });
}

/** Give the socket bound at `temp` its public name `path`, then drop `temp`. */
async function publishSocket(temp: string, path: string): Promise<void> {
  if (!(await tryLink(temp, path))) {
    // Something appeared at `path` since prepareSocketPath: the same rules again, once.
    await prepareSocketPath(path);
    if (!(await tryLink(temp, path))) throw new Error(`socket ${path} is in use by another process`);
  }
  await unlink(temp).catch((err: unknown) => {
    if (errorCode(err) !== "ENOENT") throw err;
  });
}

/** Hard-link `temp` to `path`; false when `path` exists. Renames on file systems without hard links. */
async function tryLink(temp: string, path: string): Promise<boolean> {
  try {
    await link(temp, path);
    return true;
  } catch (err: unknown) {
    const code = errorCode(err);
    if (code === "EEXIST") return false;
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP") {
      await rename(temp, path);
      return true;
    }
    throw new Error(`cannot listen on socket ${path}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/** The identity and permission bits of the socket at `path`, which must still be a socket. */
async function identify(path: string): Promise<SocketFileIdentity & { mode: number }> {
  const stats = await lstat(path);
  if (!stats.isSocket()) throw new Error(`cannot listen on socket ${path}: it was replaced while binding`);
  return { dev: stats.dev, ino: stats.ino, mode: stats.mode & 0o777 };
}

/**
 * Remove the socket file if it is still the one we created (same dev/ino),
 * so a file a newer process put at `path` is never removed. libuv only
 * unlinks the temporary name the socket was bound at, which is gone by then.
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
