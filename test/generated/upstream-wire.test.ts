/**
 * Our proto/runtime/v1/api.proto must be wire-identical to the upstream CRI
 * file it transcribes. This builds both with `buf build --exclude-source-info`
 * (the upstream copy in a temp module at the same path), drops the one thing we
 * add on purpose (method options: `idempotency_level`, which is not on the
 * wire), and compares the descriptor sets byte for byte.
 *
 * The upstream copy lives beside the clone in ../shared/reference (read-only in
 * CI); without it the test skips and says so.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema, type FileDescriptorSet } from "@bufbuild/protobuf/wkt";

const root = resolve(import.meta.dirname, "../..");
const upstreamProto = resolve(root, "../shared/reference/cri-api/api.proto");
const buf = join(root, "node_modules", ".bin", "buf");
const protoPath = join("runtime", "v1", "api.proto");

/**
 * Builds the CRI file of the module rooted at `dir` into a FileDescriptorSet
 * without source info (only that file: the module also holds the gateway's own protos).
 */
function buildDescriptors(dir: string, out: string): FileDescriptorSet {
  execFileSync(buf, ["build", "--exclude-source-info", "--path", join(dir, protoPath), "-o", out], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  return fromBinary(FileDescriptorSetSchema, readFileSync(out));
}

/** Removes method options (our idempotency_level), the only deliberate difference. */
function withoutMethodOptions(set: FileDescriptorSet): FileDescriptorSet {
  for (const file of set.file) {
    for (const service of file.service) {
      for (const method of service.method) method.options = undefined;
    }
  }
  return set;
}

describe("proto/runtime/v1/api.proto against upstream", { skip: existsSync(upstreamProto) ? false : `upstream copy not found at ${upstreamProto}; wire identity not checked` }, () => {
  const work = mkdtempSync(join(tmpdir(), "cri-wire-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  it("builds to the same descriptor set once method options are set aside", () => {
    const upstreamModule = join(work, "upstream");
    mkdirSync(join(upstreamModule, "runtime", "v1"), { recursive: true });
    copyFileSync(upstreamProto, join(upstreamModule, protoPath));
    writeFileSync(join(upstreamModule, "buf.yaml"), "version: v2\n");
    const ours = buildDescriptors(join(root, "proto"), join(work, "ours.binpb"));
    const theirs = buildDescriptors(upstreamModule, join(work, "upstream.binpb"));

    const ourFile = ours.file.find((f) => f.name === "runtime/v1/api.proto");
    assert.ok(ourFile, "our build holds runtime/v1/api.proto");
    // Guard the comparison itself: our file really carries the options we strip.
    const withOption = ourFile.service.flatMap((s) => s.method).filter((m) => m.options?.idempotencyLevel);
    assert.ok(withOption.length > 0, "our read-only RPCs carry idempotency_level");

    withoutMethodOptions(ours);
    withoutMethodOptions(theirs);
    const a = toBinary(FileDescriptorSetSchema, ours);
    const b = toBinary(FileDescriptorSetSchema, theirs);
    // JSON first, so a failure shows which field, number, type or option differs.
    assert.deepEqual(toJson(FileDescriptorSetSchema, ours), toJson(FileDescriptorSetSchema, theirs));
    assert.ok(Buffer.from(a).equals(Buffer.from(b)), "descriptor sets differ in their binary encoding");
  });

  it("keeps the 43 RPCs upstream declares", () => {
    const ours = buildDescriptors(join(root, "proto"), join(work, "count.binpb"));
    const methods = ours.file.flatMap((f) => f.service).map((s) => `${s.name}:${s.method.length}`);
    assert.deepEqual(methods, ["RuntimeService:37", "ImageService:6"]);
  });
});
