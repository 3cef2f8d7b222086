/**
 * The README's examples must work as written. Every ```sh block that calls
 * curl is run with bash against a fresh gateway; the documented address and
 * socket are swapped for the test's, and each documented `# {...}` or
 * `# WORD` result line must match what the command before it printed.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { type Gateway, startGateway } from "../../src/gateway.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
const readme = readFileSync(join(root, "README.md"), "utf8");

/** The ```sh blocks that call curl, in order. */
function curlBlocks(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks.filter((b) => /\bcurl\b/.test(b));
}

/** Split a block into (command, expected output) steps at documented result lines. */
function steps(block: string): { script: string; expect?: string }[] {
  const out: { script: string; expect?: string }[] = [];
  let script = "";
  for (const line of block.split("\n")) {
    const result = /^# (\{.*\}|[A-Z_]+)(\s{2,}.*)?$/.exec(line);
    if (result !== null) {
      out.push({ script, expect: result[1] });
      script = "";
    } else {
      script += `${line}\n`;
    }
  }
  if (script.trim() !== "") out.push({ script });
  return out;
}

describe("README examples", () => {
  let gateway: Gateway;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cri-readme-"));
    gateway = await startGateway({ tcp: { host: "127.0.0.1", port: 0 }, socket: join(dir, "gw.sock") });
  });
  after(async () => {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const blocks = curlBlocks(readme);
  it("has curl examples to check", () => assert.ok(blocks.length >= 3));

  blocks.forEach((block, i) => {
    it(`runs curl example ${i + 1} as written: ${block.split("\n")[0]}`, async () => {
      const url = gateway.url as string;
      const localize = (text: string) =>
        text
          .replaceAll("http://127.0.0.1:7070", url)
          .replaceAll("/tmp/cri-gateway.sock", gateway.socketPath as string)
          // The README runs the built CLI (npm start builds it); tests run the source.
          .replaceAll("node dist/src/cli/main.js", "node --import tsx src/cli/main.ts");
      // One shell for the whole block, so ids carry from step to step; a
      // marker line after each step splits the output back into steps.
      const parts = steps(block);
      const marker = "@@step-done@@";
      const script = `set -euo pipefail\n${parts.map((p) => `${localize(p.script)}echo ${marker}\n`).join("")}`;
      const { stdout } = await run("bash", ["-c", script], { cwd: root, timeout: 30_000 });
      const outputs = stdout.split(`${marker}\n`);
      parts.forEach((part, n) => {
        if (part.expect === undefined) return;
        const last = (outputs[n] ?? "").trimEnd().split("\n").at(-1) ?? "";
        if (part.expect.startsWith("{")) {
          assert.deepEqual(JSON.parse(last), JSON.parse(part.expect), `after:\n${part.script}`);
        } else {
          assert.equal(last, part.expect, `after:\n${part.script}`);
        }
      });
    });
  });
});
