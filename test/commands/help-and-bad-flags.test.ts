/**
 * Every command of the project answers `--help` with its usage on stdout
 * (exit 0) and a flag it does not know with a usage message on stderr
 * (exit 2), never a Node stack trace: the bench, the scripts, and the CLI
 * with each of its subcommands. Each runs from source through tsx, as
 * `npm run …` runs it.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

const root = resolve(import.meta.dirname, "../..");

/** One command: how to start it and a line its usage must contain. */
interface Command {
  name: string;
  args: string[];
  usage: RegExp;
}

const scripts: Command[] = readdirSync(join(root, "scripts"))
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
  .map((f) => ({ name: `scripts/${f}`, args: [`scripts/${f}`], usage: /^usage: npm run /m }));

const commands: Command[] = [
  { name: "bench/run.ts", args: ["bench/run.ts"], usage: /^usage: npm run bench -- \[SECTIONS\] \[options\]$/m },
  ...scripts,
  { name: "cri-gateway", args: ["src/cli/main.ts"], usage: /^ {2}cri-gateway serve \[options\]$/m },
  { name: "cri-gateway serve", args: ["src/cli/main.ts", "serve"], usage: /^ {2}cri-gateway serve \[options\]$/m },
  { name: "cri-gateway stream", args: ["src/cli/main.ts", "stream"], usage: /^ {2}cri-gateway stream URL/m },
];

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, ["--import", "tsx", ...args], { cwd: root, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : null;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

describe("commands answer --help and refuse unknown flags", () => {
  it("finds every script", () => assert.ok(scripts.length >= 1));

  for (const command of commands) {
    it(`${command.name} --help prints its usage and exits 0`, async () => {
      const res = await run([...command.args, "--help"]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, command.usage);
      assert.match(res.stdout, /--help/, "the usage lists --help");
      assert.equal(res.stderr, "");
    });

    it(`${command.name} --bogus-flag prints a usage message and exits 2`, async () => {
      const res = await run([...command.args, "--bogus-flag"]);
      assert.equal(res.code, 2, `exit code; stderr: ${res.stderr}`);
      assert.match(res.stderr, /--bogus-flag/, "names the flag");
      assert.match(res.stderr, command.usage, "shows the usage");
      assert.doesNotMatch(res.stderr, /\n\s+at .+:\d+:\d+/, "no stack trace");
      assert.doesNotMatch(res.stderr, /ERR_PARSE_ARGS/, "no Node error code");
      assert.equal(res.stdout, "");
    });
  }
});
