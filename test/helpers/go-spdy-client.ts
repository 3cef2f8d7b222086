/**
 * test/interop/go-spdy: a SPDY/3.1 exec client that opens its streams the
 * way client-go's v4 executor does (kubectl, crictl), on Debian's
 * spdystream, built offline in GOPATH mode. Exits with the command's exit
 * code, 0 on success, 125 when the session itself failed.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describeResult, onPath, runCommand } from "../interop/run-command.js";
import { debianGocode, offlineGoEnv } from "../interop/go-env.js";

/** Exit code of the client when the session failed (refused, broken). */
export const spdyClientFailed = 125;

const spdystreamSource = `${debianGocode}/src/github.com/moby/spdystream`;

/** Why the client cannot be built here, or undefined when it can. */
export function spdyClientSkipReason(): string | undefined {
  if (!onPath("go")) return "go is not installed (Debian golang-go; .ci/run installs it)";
  if (!existsSync(spdystreamSource)) return "spdystream is missing (Debian golang-github-docker-spdystream-dev; .ci/run installs it)";
  return undefined;
}

/** Build the client under `work`; returns the binary's path. */
export async function buildSpdyClient(work: string): Promise<string> {
  const source = join(work, "gopath", "src", "spdyexec");
  await mkdir(source, { recursive: true });
  await copyFile(resolve(import.meta.dirname, "../interop/go-spdy/main.go"), join(source, "main.go"));
  const binary = join(work, "spdy-exec");
  const env = offlineGoEnv(work, [join(work, "gopath")]);
  const build = await runCommand("go", ["build", "-o", binary, "spdyexec"], { cwd: work, env, timeoutMs: 120_000 });
  assert.equal(build.code, 0, describeResult("go build spdy-exec (GOPATH mode, Debian sources)", build));
  return binary;
}
