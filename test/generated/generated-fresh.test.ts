/**
 * Generated code is committed; this fails when `gen/` (and, once it exists,
 * `openapi/`) no longer matches what `buf generate` makes from `proto/`.
 * Fix a failure with `npm run generate` and commit the result.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { after, describe, it } from "node:test";

const root = resolve(import.meta.dirname, "../..");
const outputs = ["gen", "openapi"].filter((d) => existsSync(join(root, d)) && readdirSync(join(root, d)).length > 0);

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

describe("generated files", () => {
  const work = mkdtempSync(join(tmpdir(), "cri-gen-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  it("are what buf generate makes from proto/", () => {
    // The plugin reads the REST route table from src/ (types and data only).
    const entries = ["buf.yaml", "buf.gen.yaml", "proto", "plugins", "package.json", "src/http/rest/route-table.ts", "src/http/rest/route-spec.ts"];
    for (const entry of entries) {
      if (existsSync(join(root, entry))) cpSync(join(root, entry), join(work, entry), { recursive: true });
    }
    const bin = join(root, "node_modules", ".bin");
    execFileSync(join(bin, "buf"), ["generate"], {
      cwd: work,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, NODE_PATH: join(root, "node_modules") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const dir of outputs) {
      const want = listFiles(join(work, dir));
      const have = listFiles(join(root, dir));
      assert.deepEqual(have, want, `${dir}/ has different files than buf generate makes; run npm run generate`);
      for (const file of want) {
        const fresh = readFileSync(join(work, dir, file), "utf8");
        const committed = readFileSync(join(root, dir, file), "utf8");
        assert.ok(fresh === committed, `${dir}/${file} is stale; run npm run generate and commit it`);
      }
    }
  });

  it("keep the 43 CRI methods of the proto", async () => {
    const { ImageService, RuntimeService } = await import("../../gen/runtime/v1/api_pb.js");
    assert.equal(RuntimeService.methods.length, 37);
    assert.equal(ImageService.methods.length, 6);
  });

  it("pass buf lint", () => {
    execFileSync(join(root, "node_modules", ".bin", "buf"), ["lint"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  });
});
