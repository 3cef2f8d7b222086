/**
 * The document matches the wire, seen through a client built only from it:
 * openapi-typescript generates types from openapi/cri.openapi.yaml, the
 * typed story (typed-story.ts) must type-check against them, and an
 * openapi-fetch client runs it against a real gateway over plain HTTP/1.1,
 * calling every unary method (and the GET form of side-effect-free ones).
 * Every response, errors included, is validated by ajv (2020-12) against the
 * schema the document declares for that operation and status.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import createClient from "openapi-fetch";
import { ImageService, RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import { type TestGateway, startTestGateway } from "../helpers/start-gateway.js";
import { type OpenApiDoc, createDocumentValidator, listOperations } from "./schema-validator.js";
import { type CriOpenApiClient, runTypedStory } from "./typed-story.js";

const root = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);

/** Generate the types the story imports, as `npm run openapi-types` does, offline (network guard preloaded). */
async function generateTypes(): Promise<void> {
  const guardLog = join(tmpdir(), `cri-openapi-types-${process.pid}.guard.log`);
  await run(
    process.execPath,
    [
      "--import",
      "tsx",
      "--import",
      join(import.meta.dirname, "network-guard-preload.ts"),
      join(root, "node_modules", "openapi-typescript", "bin", "cli.js"),
      "openapi/cri.openapi.yaml",
      "--output",
      "test/openapi/.generated/cri-openapi.d.ts",
    ],
    { cwd: root, timeout: 30_000, env: { ...process.env, CRI_NETWORK_GUARD_LOG: guardLog } },
  );
  const blocked = await readFile(guardLog, "utf8").then((text) => text.trim(), () => "");
  await rm(guardLog, { force: true });
  assert.equal(blocked, "", "openapi-typescript tried to reach the network");
}

describe("typed openapi-fetch client against the gateway", () => {
  let gw: TestGateway;
  let doc: OpenApiDoc;
  let generated: Promise<void>;

  before(async () => {
    generated = generateTypes();
    generated.catch(() => {}); // reported by the test that awaits it
    doc = JSON.parse(await readFile(join(root, "openapi", "cri.openapi.json"), "utf8")) as OpenApiDoc;
    gw = await startTestGateway();
  });
  after(() => gw?.close());

  it("type-checks the story against types generated from the document", async () => {
    await generated;
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    // The project's compiler settings, on the story alone (which imports only openapi-fetch and the generated types).
    const flags = ["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext"];
    flags.push("--types", "node", "--skipLibCheck", "--noImplicitReturns", "--useUnknownInCatchVariables", "--verbatimModuleSyntax");
    const result = await run(process.execPath, [tsc, ...flags, "test/openapi/typed-story.ts"], { cwd: root, timeout: 60_000 }).then(
      () => "",
      (err: { stdout?: string; message: string }) => err.stdout || err.message,
    );
    assert.equal(result, "", "typed-story.ts does not compile against the generated types");
  });

  it("calls every unary method with bodies that match the document's schemas", async () => {
    const validator = createDocumentValidator(doc);
    const called = new Set<string>();
    const checked: string[] = [];
    const client: CriOpenApiClient = createClient({ baseUrl: gw.url, headers: { "Connect-Protocol-Version": "1" } });
    client.use({
      async onResponse({ request, response, schemaPath }) {
        const method = request.method.toLowerCase();
        const body: unknown = await response.clone().json();
        validator.assertResponse(method, schemaPath, response.status, body);
        checked.push(`${request.method} ${schemaPath} ${response.status}`);
        if (response.ok) called.add(`${method} ${schemaPath}`);
        return undefined;
      },
    });

    await runTypedStory(client, { gatewayUrl: gw.url, suffix: Math.random().toString(36).slice(2, 8) });

    // Every unary method of the proto, and every unary POST of the document: all answered 200.
    const protoUnary = [RuntimeService, ImageService].flatMap((s) =>
      s.methods.filter((m) => m.methodKind === "unary").map((m) => `post /${s.typeName}/${m.name}`),
    );
    const docUnary = listOperations(doc)
      .filter(({ method, path, operation }) => method === "post" && path.startsWith("/runtime.v1.") && !operation["x-connect-streaming"])
      .map(({ method, path }) => `${method} ${path}`);
    assert.equal(protoUnary.length, 36);
    assert.deepEqual([...docUnary].sort(), [...protoUnary].sort(), "the document has a POST for every unary method");
    assert.deepEqual(protoUnary.filter((m) => !called.has(m)), [], "unary methods the story did not call successfully");
    assert.ok(called.has("get /runtime.v1.RuntimeService/Version") && called.has("get /runtime.v1.ImageService/ImageStatus"), "GET forms called");
    for (const status of [400, 404]) {
      assert.ok(checked.some((c) => c.endsWith(` ${status}`)), `an error response with status ${status} was validated`);
    }
  });

  it("rejects a body the document does not allow, so the validation is not vacuous", () => {
    const validator = createDocumentValidator(doc);
    const path = "/runtime.v1.RuntimeService/ContainerStatus";
    assert.throws(() => validator.assertResponse("post", path, 200, { status: { createdAt: 1 } }), /must be string/);
    assert.throws(() => validator.assertResponse("post", path, 200, { unknownField: true }), /additional properties/);
    assert.throws(() => validator.assertResponse("post", path, 404, { code: "internal" }), /allowed values/);
    assert.throws(() => validator.assertResponse("post", path, 404, { message: "no code" }), /required property 'code'/);
  });
});
