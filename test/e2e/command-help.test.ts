/**
 * Every command of the project answers `--help` with its usage (exit 0) and
 * a bad flag with what was wrong plus the usage (exit 2), never a stack
 * trace: the CLI, `npm run bench` and `npm run postman`, run the way the
 * README tells users to run them.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { describe, it } from "node:test";

const root = resolve(import.meta.dirname, "../..");

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(args[0] as string, args.slice(1), { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
      done({ code, stdout, stderr });
    });
  });
}

const commands: { desc: string; script: string[]; usage: RegExp }[] = [
  { desc: "npm run bench", script: ["npm", "run", "--silent", "bench", "--"], usage: /usage: npm run bench -- \[SECTIONS\]/ },
  { desc: "npm run postman", script: ["npm", "run", "--silent", "postman", "--"], usage: /usage: npm run postman -- \[OUT\.json\]/ },
  { desc: "cri-gateway", script: ["node", "--import", "tsx", "src/cli/main.ts"], usage: /cri-gateway serve \[options\]/ },
];

describe("--help and bad flags", () => {
  for (const { desc, script, usage } of commands) {
    it(`${desc} --help prints its usage and exits 0`, async () => {
      const { code, stdout, stderr } = await run([...script, "--help"]);
      assert.equal(code, 0, stderr);
      assert.match(stdout, usage);
      assert.doesNotMatch(stdout + stderr, /\n\s+at /, "no stack trace");
    });
    it(`${desc} --no-such-flag names the flag, prints the usage and exits 2`, async () => {
      const { code, stdout, stderr } = await run([...script, "--no-such-flag"]);
      assert.equal(code, 2, stdout + stderr);
      assert.match(stderr, /--no-such-flag/);
      assert.match(stderr, usage);
      assert.doesNotMatch(stderr, /\n\s+at |ERR_PARSE_ARGS/, "no stack trace or Node error code");
    });
  }
});
