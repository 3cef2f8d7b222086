import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createCallContext } from "./call-context.js";
import { CoreError } from "./core-error.js";
import { builtinCoreNames, loadCore } from "./registry.js";

const options = { gatewayUrl: () => "http://127.0.0.1:1", maxMessageBytes: 1 << 20, settings: {} };

describe("loadCore", () => {
  const dir = mkdtempSync(join(tmpdir(), "cri-core-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("builds the memory runtime by name", async () => {
    const core = await loadCore("memory", options);
    const v = await core.version({ $typeName: "runtime.v1.VersionRequest", version: "v1" }, createCallContext());
    assert.equal(v.runtimeApiVersion, "v1");
    await core.close();
  });

  it("lists memory among the built-in names", () => {
    assert.ok(builtinCoreNames().includes("memory"));
  });

  it("rejects an unknown name with invalid_argument naming the choices", async () => {
    await assert.rejects(loadCore("podman", options), (err: unknown) => {
      assert.ok(err instanceof CoreError);
      assert.equal(err.kind, "invalid_argument");
      assert.match(err.message, /unknown runtime "podman": use one of memory/);
      return true;
    });
  });

  it("loads a third-party module and answers unimplemented for what it leaves out", async () => {
    const file = join(dir, "mine.mjs");
    writeFileSync(
      file,
      `export function createRuntimeCore(options) {
        return { name: "mine", async version() {
          return { $typeName: "runtime.v1.VersionResponse", version: "0.1.0", runtimeName: "mine:" + options.settings.flavour, runtimeVersion: "1", runtimeApiVersion: "v1" };
        } };
      }`,
    );
    const core = await loadCore(file, { ...options, settings: { flavour: "vanilla" } });
    assert.equal(core.name, "mine");
    const ctx = createCallContext();
    const v = await core.version({ $typeName: "runtime.v1.VersionRequest", version: "" }, ctx);
    assert.equal(v.runtimeName, "mine:vanilla");
    await assert.rejects(
      core.stopContainer({ $typeName: "runtime.v1.StopContainerRequest", containerId: "x", timeout: 0n }, ctx),
      (err: unknown) => err instanceof CoreError && err.kind === "unimplemented" && /does not implement StopContainer/.test(err.message),
    );
    const stream = core.getContainerEvents({ $typeName: "runtime.v1.GetEventsRequest" }, ctx);
    await assert.rejects(
      (async () => {
        for await (const _ of stream) assert.fail("no events expected");
      })(),
      (err: unknown) => err instanceof CoreError && err.kind === "unimplemented",
    );
    assert.deepEqual(await core.health(), { ready: true });
  });

  it("rejects a module without createRuntimeCore", async () => {
    const file = join(dir, "empty.mjs");
    writeFileSync(file, "export const nothing = 1;\n");
    await assert.rejects(loadCore(file, options), /does not export createRuntimeCore/);
  });
});
