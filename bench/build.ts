/**
 * Compiles the bench servers, the scale worker and the gateway sources they
 * import with tsc into `bench/.build/`, so measured processes run plain JS as
 * `dist/` does in production. Under tsx every function gets esbuild's
 * `__name()` wrapper, which costs a property definition per closure created
 * and showed up as ~5% of the gateway's Connect path in profiles.
 */
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";

/** Where the compiled repository tree goes (`.build/bench/…`, `.build/src/…`). */
export const buildRoot = join(import.meta.dirname, ".build");

/** The compiled path of a bench file, e.g. `servers/gateway.ts` → `.build/bench/servers/gateway.js`. */
export function builtBenchFile(relative: string): string {
  return join(buildRoot, "bench", relative.replace(/\.ts$/, ".js"));
}

/**
 * Compile afresh (bounded to 3 minutes). Type errors elsewhere in the tree
 * (work in progress) do not stop the bench as long as the files it runs were
 * emitted; they are reported through `warn`.
 */
export function buildForBench(warn: (line: string) => void): void {
  rmSync(buildRoot, { recursive: true, force: true });
  const tsc = join(import.meta.dirname, "..", "node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", join(import.meta.dirname, "tsconfig.build.json")], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 180_000,
    });
  } catch (err: unknown) {
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? String(err);
    warn(`tsc reported errors (continuing with what it emitted): ${out.split("\n").slice(0, 3).join(" | ")}`);
  }
  for (const file of ["servers/gateway.ts", "servers/stock-connect.ts", "servers/bare.ts", "scale-child.ts"]) {
    if (!existsSync(builtBenchFile(file))) throw new Error(`build did not emit ${builtBenchFile(file)}`);
  }
}
