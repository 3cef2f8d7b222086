/**
 * The simulated process table of ExecSync: a handful of deterministic
 * commands (echo, printf, true, false, sleep, cat, env, printenv, hostname,
 * pwd, id, whoami, uname) and a tiny `sh -c` interpreter that runs scripts
 * parsed by `sh-script.ts`: `NAME=value` assignments, `exit N`, `;`, `&&`,
 * `||` lists and `while`/`until` loops. Unsupported syntax exits 2, as a shell's syntax error does.
 */
import { type Command, type Program, ShellSyntaxError, type Word, parseScript } from "./sh-script.js";
import {
  type Builtin,
  type Io,
  type Process,
  type ShellContext,
  type ShellResult,
  cat,
  echo,
  exitCommandNotFound,
  exitUsage,
  printenv,
  printf,
  sleep,
  userName,
} from "./sim-commands.js";

export type { ShellContext, ShellResult } from "./sim-commands.js";
export { exitCommandNotFound, exitUsage } from "./sim-commands.js";

/** `exit N` unwinds to the enclosing `sh` with this. */
class ShellExit {
  constructor(readonly code: number) {}
}

const maxShellDepth = 16;

/** Run `argv` like a container runtime's exec would, with output captured. */
export async function runSimulatedCommand(argv: readonly string[], ctx: ShellContext): Promise<ShellResult> {
  const stdout = createSink(ctx.maxOutputBytes);
  const stderr = createSink(ctx.maxOutputBytes);
  const tee = ctx.tee;
  const io: Io =
    tee === undefined
      ? { out: stdout.write, err: stderr.write }
      : {
          out: (text) => (stdout.write(text), tee.out(text)),
          err: (text) => (stderr.write(text), tee.err(text)),
        };
  let exitCode: number;
  try {
    exitCode = await runProcess({ argv, env: ctx.env, io, ctx, depth: 0 });
  } catch (err) {
    if (!(err instanceof ShellExit)) throw err;
    exitCode = err.code;
  }
  return { stdout: stdout.bytes(), stderr: stderr.bytes(), exitCode };
}

/** True when `command` (a path or a name) is one the simulated shell can run. */
export function isSimulatedCommand(command: string): boolean {
  return builtins.has(basename(command));
}

async function runProcess(p: Process): Promise<number> {
  const name = basename(p.argv[0] ?? "");
  const builtin = builtins.get(name);
  if (builtin === undefined) {
    p.io.err(`${p.argv[0]}: command not found\n`);
    return exitCommandNotFound;
  }
  return await builtin(p);
}

const builtins = new Map<string, Builtin>([
  ["true", () => 0],
  ["false", () => 1],
  [":", () => 0],
  ["echo", echo],
  ["printf", printf],
  ["sleep", sleep],
  ["cat", cat],
  ["env", env],
  ["printenv", printenv],
  ["hostname", (p) => (p.io.out(`${p.ctx.hostname}\n`), 0)],
  ["pwd", (p) => (p.io.out(`${p.ctx.cwd}\n`), 0)],
  ["whoami", (p) => (p.io.out(`${userName(p.ctx.uid)}\n`), 0)],
  ["id", (p) => (p.io.out(`uid=${p.ctx.uid}(${userName(p.ctx.uid)}) gid=0(root) groups=0(root)\n`), 0)],
  ["uname", (p) => (p.io.out(p.argv.includes("-a") ? `Linux ${p.ctx.hostname} 6.1.0 #1 SMP x86_64 GNU/Linux\n` : "Linux\n"), 0)],
  ["sh", shell],
  ["bash", shell],
  ["ash", shell],
  ["dash", shell],
]);

// env [NAME=value...] [COMMAND...]: print the environment or run a command with additions.
async function env(p: Process): Promise<number> {
  const args = p.argv.slice(1);
  const extra: Record<string, string> = {};
  while (args.length > 0 && isAssignment(args[0] as string)) {
    const [key, value] = splitAssignment(args.shift() as string);
    extra[key] = value;
  }
  const merged = { ...p.env, ...extra };
  if (args.length > 0) return await runProcess({ ...p, argv: args, env: merged });
  for (const [key, value] of Object.entries(merged)) p.io.out(`${key}=${value}\n`);
  return 0;
}

// sh [-c SCRIPT [NAME [ARG...]]]; without arguments it runs stdin as the script.
async function shell(p: Process): Promise<number> {
  const args = p.argv.slice(1);
  if (args.length === 0) {
    const stdin = p.ctx.stdin ?? "";
    // Only the outermost shell reads stdin; what it runs gets none.
    return stdin === "" ? 0 : await shell({ ...p, argv: [p.argv[0] ?? "sh", "-c", stdin], ctx: { ...p.ctx, stdin: "" } });
  }
  const flags = args[0] as string;
  if (!/^-[a-z]*c[a-z]*$/.test(flags)) {
    p.io.err(`${basename(p.argv[0] ?? "sh")}: unsupported invocation (only -c SCRIPT is simulated)\n`);
    return exitUsage;
  }
  const script = args[1];
  if (script === undefined) {
    p.io.err(`${basename(p.argv[0] ?? "sh")}: -c: option requires an argument\n`);
    return exitUsage;
  }
  if (p.depth >= maxShellDepth) {
    p.io.err("sh: nesting too deep\n");
    return exitUsage;
  }
  let program: Program;
  try {
    program = parseScript(script);
  } catch (err) {
    if (!(err instanceof ShellSyntaxError)) throw err;
    p.io.err(`sh: ${err.message}\n`);
    return exitUsage;
  }
  const positional = args.slice(2);
  try {
    return await runProgram(program, { ...p, depth: p.depth + 1 }, positional.length > 0 ? positional : ["sh"]);
  } catch (err) {
    if (err instanceof ShellExit) return err.code;
    throw err;
  }
}

async function runProgram(program: Program, p: Process, positional: readonly string[]): Promise<number> {
  const vars: Record<string, string> = { ...p.env };
  let status = 0;
  const expand = (word: Word): string | undefined => {
    let text = "";
    for (const part of word.parts) {
      if ("literal" in part) {
        text += part.literal;
        continue;
      }
      const name = part.variable;
      if (name === "?") text += String(status);
      else if (name === "#") text += String(Math.max(0, positional.length - 1));
      else if (name === "$") text += "1";
      else if (/^[0-9]$/.test(name)) text += positional[Number(name)] ?? "";
      else text += vars[name] ?? "";
    }
    // An unquoted expansion that comes out empty is no word at all.
    return text === "" && !word.quoted ? undefined : text;
  };

  const run = async (list: Program): Promise<number> => {
    for (const step of list) {
      if (step.connector === "&&" && status !== 0) continue;
      if (step.connector === "||" && status === 0) continue;
      if ("loop" in step) {
        const { until, condition, body } = step.loop;
        let last = 0;
        for (;;) {
          // Each turn waits a tick through the context, so a busy loop
          // neither starves the event loop nor outlives its timeout/abort.
          await p.ctx.sleep(0);
          const ok = (await run(condition)) === 0;
          if (ok === until) break;
          last = await run(body);
        }
        status = last;
        continue;
      }
      await runCommand(step);
    }
    return status;
  };

  const runCommand = async (command: Command): Promise<void> => {
    const argv: string[] = [];
    for (const word of command.words) {
      const text = expand(word);
      if (text !== undefined) argv.push(text);
    }
    const local: Record<string, string> = {};
    while (argv.length > 0 && isAssignment(argv[0] as string)) {
      const [key, value] = splitAssignment(argv.shift() as string);
      local[key] = value;
    }
    if (argv.length === 0) {
      Object.assign(vars, local);
      status = 0;
      return;
    }
    if (argv[0] === "exit") {
      const code = argv[1] === undefined ? status : Number.parseInt(argv[1], 10);
      throw new ShellExit(Number.isNaN(code) ? exitUsage : code & 255);
    }
    status = await runProcess({ ...p, argv, env: { ...vars, ...local } });
  };

  await run(program);
  return status;
}

function createSink(cap: number): { write: (text: string) => void; bytes: () => Uint8Array } {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  let size = 0;
  return {
    write(text) {
      if (size >= cap || text === "") return;
      let chunk = encoder.encode(text);
      if (size + chunk.length > cap) chunk = chunk.subarray(0, cap - size);
      chunks.push(chunk);
      size += chunk.length;
    },
    bytes() {
      const out = new Uint8Array(size);
      let at = 0;
      for (const chunk of chunks) {
        out.set(chunk, at);
        at += chunk.length;
      }
      return out;
    },
  };
}

function isAssignment(word: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*=/.test(word);
}

function splitAssignment(word: string): [string, string] {
  const at = word.indexOf("=");
  return [word.slice(0, at), word.slice(at + 1)];
}

function basename(path: string): string {
  const at = path.lastIndexOf("/");
  return at < 0 ? path : path.slice(at + 1);
}

