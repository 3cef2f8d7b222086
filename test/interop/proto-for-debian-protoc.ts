/**
 * A copy of proto/runtime/v1/api.proto that Debian's protoc can compile.
 *
 * Debian bookworm ships protoc 3.21 (protobuf-compiler, and the same libprotoc
 * inside python3-grpc-tools). It rejects the `debug_redact` field option,
 * which protobuf added in 22.0, so we strip `[debug_redact = true]` from the
 * copy. The option only affects how generated code prints a message (it hides
 * the value in logs); field numbers and types are unchanged, so the wire
 * format the stubs speak is exactly upstream's.
 */
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "./gateway-process.js";

/** Path of the proto inside the include root, as upstream lays it out. */
export const criProtoFile = "runtime/v1/api.proto";

/** Write the stripped copy under `includeRoot` and return its include root. */
export async function writeProtoForDebianProtoc(includeRoot: string): Promise<string> {
  const source = await readFile(join(repoRoot, "proto", criProtoFile), "utf8");
  const stripped = source.replace(/\s*\[debug_redact = true\]/g, "");
  assert.ok(!stripped.includes("debug_redact"), "a debug_redact option in a form this copy does not strip");
  await mkdir(join(includeRoot, "runtime", "v1"), { recursive: true });
  await writeFile(join(includeRoot, criProtoFile), stripped);
  return includeRoot;
}
