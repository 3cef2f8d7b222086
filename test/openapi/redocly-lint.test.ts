/**
 * The document passes `redocly lint` (@redocly/cli, pinned) with zero errors:
 * the committed YAML, and the JSON exactly as the gateway serves it. Redocly
 * runs offline: telemetry and the update check are switched off by their
 * environment variables, and a network guard preloaded into its process
 * fails the test if it still tries to reach any host but loopback.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { createOpenApiDocumentSource } from "../../src/http/openapi-document.js";

const root = resolve(import.meta.dirname, "../..");
const redoclyCli = join(root, "node_modules", "@redocly", "cli", "bin", "cli.js");
const preload = join(import.meta.dirname, "network-guard-preload.ts");

/** What `redocly lint --format=json` prints. */
interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  version: string;
  problems: { ruleId: string; severity: "error" | "warn"; message: string; location: { pointer?: string }[] }[];
}

describe("redocly lint", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cri-redocly-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Lint `file` with the built-in recommended rules; returns the report and any refused network attempts. */
  async function lint(file: string): Promise<{ report: LintReport; blocked: string[] }> {
    const guardLog = join(dir, `guard-${Math.random().toString(36).slice(2)}.log`);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--import", preload, redoclyCli, "lint", file, "--format=json"],
      {
        cwd: root,
        timeout: 30_000,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          ...process.env,
          REDOCLY_TELEMETRY: "off",
          REDOCLY_SUPPRESS_UPDATE_NOTICE: "true",
          NO_COLOR: "1",
          CRI_NETWORK_GUARD_LOG: guardLog,
        },
      },
    );
    const blocked = await readFile(guardLog, "utf8").then((text) => text.split("\n").filter(Boolean), () => []);
    return { report: JSON.parse(stdout) as LintReport, blocked };
  }

  function assertClean({ report, blocked }: { report: LintReport; blocked: string[] }): void {
    assert.equal(report.version, "2.77.0", "the pinned @redocly/cli ran");
    const errors = report.problems.filter((p) => p.severity === "error");
    assert.deepEqual(
      errors.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? "?"}`),
      [],
      "redocly lint reports no errors",
    );
    assert.equal(report.totals.errors, 0);
    assert.deepEqual(blocked, [], "redocly tried to reach the network");
  }

  it("finds no errors in the committed openapi/cri.openapi.yaml, offline", async () => {
    assertClean(await lint("openapi/cri.openapi.yaml"));
  });

  it("finds no errors in the document as served (servers rewritten), offline", async () => {
    const served = join(dir, "served.openapi.json");
    await writeFile(served, createOpenApiDocumentSource().render("http://127.0.0.1:7070", "json"));
    assertClean(await lint(served));
  });
});
