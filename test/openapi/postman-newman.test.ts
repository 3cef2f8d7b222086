/**
 * Postman's view of the document: openapi-to-postmanv2 converts it into a
 * collection (a build artifact in a temp dir) and newman runs it against a
 * fresh gateway. Every operation whose example is a valid call on its own
 * (`x-example-standalone: true`) must answer 2xx with a body that matches the
 * document's schema; the others are left out of the run (see
 * postman-collection.ts). Neither tool is ours, and the network guard shows
 * neither talks to any host but the gateway.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import newman, { type NewmanRunSummary } from "newman";
import { type TestGateway, startTestGateway } from "../helpers/start-gateway.js";
import { type NetworkGuard, installNetworkGuard } from "./network-guard.js";
import { buildPostmanCollection, statusTestScript } from "./postman-collection.js";
import { type OpenApiDoc, createDocumentValidator, listOperations } from "./schema-validator.js";

const root = resolve(import.meta.dirname, "../..");

function runNewman(collectionFile: string): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) => {
    newman.run(
      { collection: collectionFile, reporters: [], timeout: 60_000, timeoutRequest: 10_000, timeoutScript: 5_000 },
      (err, summary) => (err ? reject(err) : resolve(summary)),
    );
  });
}

describe("Postman collection run by newman", () => {
  let gw: TestGateway;
  let doc: OpenApiDoc;
  let dir: string;
  let guard: NetworkGuard;

  before(async () => {
    doc = JSON.parse(await readFile(join(root, "openapi", "cri.openapi.json"), "utf8")) as OpenApiDoc;
    dir = await mkdtemp(join(tmpdir(), "cri-postman-"));
    gw = await startTestGateway();
    guard = installNetworkGuard();
  });
  after(async () => {
    guard?.uninstall();
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers every standalone example with 2xx and bodies that match the document", async () => {
    const { collection, operations } = await buildPostmanCollection(doc, { baseUrl: gw.url, only: "standalone" });
    const file = join(dir, "cri-gateway.postman_collection.json");
    await writeFile(file, JSON.stringify(collection, null, 2));

    // What should run, taken from the document alone.
    const standalone = listOperations(doc).filter((o) => o.operation["x-example-standalone"] === true);
    assert.ok(standalone.length >= 30, `only ${standalone.length} standalone operations`);
    assert.deepEqual(
      operations.map((o) => o.operationId).sort(),
      standalone.map((o) => o.operation.operationId).sort(),
      "the collection holds exactly the standalone operations",
    );

    const summary = await runNewman(file);
    const failures = summary.run.failures.map((f) => `${f.source?.name ?? "?"}: ${f.error.message}`);
    assert.deepEqual(failures, [], "newman reported failures");
    assert.equal(summary.run.stats.requests.total, standalone.length);
    assert.equal(summary.run.stats.requests.failed, 0);
    assert.equal(summary.run.stats.assertions.failed, 0);
    assert.equal(summary.run.stats.assertions.total, standalone.length * 2, "both test-script assertions ran for every request");

    const validator = createDocumentValidator(doc);
    const pathOf = new Map(standalone.map((o) => [o.operation.operationId, o]));
    assert.equal(summary.run.executions.length, operations.length);
    summary.run.executions.forEach((execution, i) => {
      const op = operations[i];
      assert.ok(op !== undefined);
      // newman's types leave out what an execution carries at run time.
      const { response, requestError } = execution as unknown as { response?: { code: number; stream?: Buffer }; requestError?: Error };
      assert.ok(response, `${op.operationId}: no response (${requestError?.message ?? "no error"})`);
      assert.ok(response.code >= 200 && response.code < 300, `${op.operationId} answered ${response.code}`);
      const body: unknown = JSON.parse(response.stream?.toString("utf8") ?? "");
      const found = pathOf.get(op.operationId);
      assert.ok(found);
      validator.assertResponse(found.method, found.path, response.code, body);
    });
    assert.deepEqual(guard.blocked, [], "the converter or newman tried to reach another host");
  });

  it("exports every operation, each with the status test, for people to import", async () => {
    const { collection, operations } = await buildPostmanCollection(doc);
    assert.equal(operations.length, listOperations(doc).length);
    assert.deepEqual(collection.variable?.find((v) => v.key === "baseUrl")?.value, doc.servers?.[0]?.url);
    const requests = collection.item.flatMap((folder) => folder.item ?? [folder]);
    assert.equal(requests.length, operations.length);
    for (const request of requests) {
      assert.deepEqual(request.event?.find((e) => e.listen === "test")?.script.exec, statusTestScript, request.name);
    }
    const versionGet = requests.find((r) => r.request?.method === "GET" && r.request.url.path?.join("/") === "runtime.v1.RuntimeService/Version");
    assert.equal(versionGet?.request?.url.query?.find((q) => q.key === "message")?.value, "{}", "the converter fills the GET message from the example");
  });
});
