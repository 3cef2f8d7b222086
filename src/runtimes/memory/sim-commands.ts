/**
 * The simple simulated commands ExecSync can run (echo, printf, sleep, cat,
 * printenv), plus the types every simulated process shares. Each command is a
 * function of its process and returns an exit status.
 */

/** What a simulated command can see. */
export interface ShellContext {
  /** Environment, in order. */
  readonly env: Readonly<Record<string, string>>;
  /** Readable files by absolute path. */
  readonly files: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly hostname: string;
  readonly uid: bigint;
  /** Wait `seconds`; rejects when the exec times out or the call is aborted. */
  readonly sleep: (seconds: number) => Promise<void>;
  /** Cap per output stream, in bytes; output beyond it is dropped. */
  readonly maxOutputBytes: number;
  /** What the process reads on stdin (streaming exec); empty when absent. */
  readonly stdin?: string;
  /** Also gets every write as it happens (a container's main process writing its log). */
  readonly tee?: Io;
}

/** The outcome of one command line. */
export interface ShellResult {
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
  readonly exitCode: number;
}

/** Exit code of a command that does not exist (POSIX). */
export const exitCommandNotFound = 127;
/** Exit code of a usage or syntax error (sh). */
export const exitUsage = 2;

/** Where a process writes. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** One running simulated process. */
export interface Process {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly io: Io;
  readonly ctx: ShellContext;
  readonly depth: number;
}

/** A simulated program: runs to completion and returns its exit status. */
export type Builtin = (p: Process) => number | Promise<number>;

/** echo [-n] ARGS: the arguments, space-separated. */
export function echo(p: Process): number {
  const args = p.argv.slice(1);
  let newline = true;
  while (args[0] === "-n" || args[0] === "-e" || args[0] === "-E") {
    if (args.shift() === "-n") newline = false;
  }
  p.io.out(args.join(" ") + (newline ? "\n" : ""));
  return 0;
}

/** printf FORMAT [ARG...]: %s, %d, %% and the \n, \t, \\ escapes, reusing the format for extra args. */
export function printf(p: Process): number {
  const [format, ...args] = p.argv.slice(1);
  if (format === undefined) {
    p.io.err("printf: usage: printf format [arguments]\n");
    return exitUsage;
  }
  let at = 0;
  do {
    let usedArg = false;
    const text = format
      .replace(/\\(n|t|\\)/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : "\\"))
      .replace(/%([sd%])/g, (_, c: string) => {
        if (c === "%") return "%";
        usedArg = true;
        const arg = args[at++] ?? "";
        return c === "d" ? String(Number.parseInt(arg, 10) || 0) : arg;
      });
    p.io.out(text);
    if (!usedArg) break;
  } while (at < args.length);
  return 0;
}

/** sleep DURATION...: waits through the context, so timeouts and aborts apply. */
export async function sleep(p: Process): Promise<number> {
  const args = p.argv.slice(1);
  if (args.length === 0) {
    p.io.err("sleep: missing operand\n");
    return 1;
  }
  let seconds = 0;
  for (const arg of args) {
    const match = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(arg);
    if (match === null) {
      p.io.err(`sleep: invalid time interval '${arg}'\n`);
      return 1;
    }
    const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "" | "s" | "m" | "h" | "d"];
    seconds += Number(match[1]) * unit;
  }
  await p.ctx.sleep(seconds);
  return 0;
}

/** cat [FILE...]: the context's files; `-` or no file is stdin. */
export function cat(p: Process): number {
  let status = 0;
  const paths = p.argv.length > 1 ? p.argv.slice(1) : ["-"];
  for (const path of paths) {
    if (path === "-") {
      p.io.out(p.ctx.stdin ?? "");
      continue;
    }
    const absolute = path.startsWith("/") ? path : joinPath(p.ctx.cwd, path);
    const content = p.ctx.files[absolute];
    if (content === undefined) {
      p.io.err(`cat: ${path}: No such file or directory\n`);
      status = 1;
    } else {
      p.io.out(content);
    }
  }
  return status;
}

/** printenv [NAME...]: values of the named variables, or all of them. */
export function printenv(p: Process): number {
  const names = p.argv.slice(1);
  if (names.length === 0) {
    for (const [key, value] of Object.entries(p.env)) p.io.out(`${key}=${value}\n`);
    return 0;
  }
  let status = 0;
  for (const name of names) {
    const value = p.env[name];
    if (value === undefined) status = 1;
    else p.io.out(`${value}\n`);
  }
  return status;
}

/** The name `whoami` prints for a uid. */
export function userName(uid: bigint): string {
  return uid === 0n ? "root" : uid === 65534n ? "nobody" : String(uid);
}

function joinPath(dir: string, file: string): string {
  return dir.endsWith("/") ? dir + file : `${dir}/${file}`;
}
