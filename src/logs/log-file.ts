/**
 * Opening a container's log file safely. The path always comes from the
 * runtime (ContainerStatus log_path), never from the client; still, it must
 * lie inside the pod's log directory, and neither it nor a directory on the
 * way may be a symbolic link that leads elsewhere. The last component is
 * refused as a symbolic link outright (lstat, then O_NOFOLLOW), so a
 * container that can write its log directory cannot swap its log for a link
 * to another file.
 */
import { constants } from "node:fs";
import { type FileHandle, lstat, open, realpath } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { CoreError } from "../core/core-error.js";

/** Where a container's log is and what it may be. */
export interface LogLocation {
  /** The container id (for messages). */
  readonly containerId: string;
  /** The absolute log path the runtime reports. */
  readonly path: string;
  /** The pod's log directory, the root the path must stay in. */
  readonly directory: string;
}

/**
 * Check that `location.path` is a regular file inside `location.directory`
 * and open it read-only. Throws CoreError: failed_precondition when the path
 * leaves the directory or is a symbolic link, not_found when it does not
 * exist. Messages name the container, not the paths.
 */
export async function openLogFile(location: LogLocation): Promise<FileHandle> {
  const { containerId, path, directory } = location;
  if (!isAbsolute(path) || !isAbsolute(directory)) {
    throw new CoreError("failed_precondition", `log path of container "${containerId}" is not absolute`);
  }
  if (!isInside(resolve(directory), resolve(path))) {
    throw outside(containerId);
  }
  const info = await lstat(path).catch((err: unknown) => {
    throw missingOr(err, containerId);
  });
  if (info.isSymbolicLink()) {
    throw new CoreError("failed_precondition", `log file of container "${containerId}" is a symbolic link; refusing to follow it`);
  }
  if (!info.isFile()) {
    throw new CoreError("failed_precondition", `log file of container "${containerId}" is not a regular file`);
  }
  // Symbolic links among the directories would lead out too.
  const [realDir, realParent] = await Promise.all([realpath(directory), realpath(dirname(path))]).catch((err: unknown) => {
    throw missingOr(err, containerId);
  });
  if (!isInside(realDir, realParent)) throw outside(containerId);
  try {
    return await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (codeOf(err) === "ELOOP") {
      throw new CoreError("failed_precondition", `log file of container "${containerId}" is a symbolic link; refusing to follow it`);
    }
    throw missingOr(err, containerId);
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

function outside(containerId: string): CoreError {
  return new CoreError("failed_precondition", `log path of container "${containerId}" is outside its pod's log directory`);
}

function missingOr(err: unknown, containerId: string): CoreError {
  const code = codeOf(err);
  if (code === "ENOENT" || code === "ENOTDIR") {
    return new CoreError("not_found", `log file of container "${containerId}" does not exist`);
  }
  if (code === "EACCES" || code === "EPERM") {
    return new CoreError("failed_precondition", `log file of container "${containerId}" cannot be read by the gateway`);
  }
  return new CoreError("internal", `cannot open the log file of container "${containerId}"`, { cause: err });
}

/** The errno code of a Node fs error, if any. */
export function codeOf(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
}
