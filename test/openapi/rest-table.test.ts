/**
 * One description of the REST API: the gateway's express app serves exactly
 * the `/v1/` routes of the route table (`src/http/rest/route-table.ts`), and
 * the committed OpenAPI document describes exactly the same routes with the
 * same parameters. A route added beside the table (a hand-written
 * `router.get("/v1/...")`) or documented by hand fails here.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { before, describe, it } from "node:test";
import { createHttpRouter } from "../../src/http/app.js";
import { toExpressPath } from "../../src/http/rest/route-spec.js";
import { restRouteTable } from "../../src/http/rest/route-table.js";
import { createMemoryRuntime } from "../../src/runtimes/memory/index.js";
import { type OpenApiDoc, listOperations } from "./schema-validator.js";

const root = resolve(import.meta.dirname, "../..");

/** Express 5's router internals this test reads (not a public API; pinned by package.json). */
interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every `METHOD path` the router serves, sub-routers included. */
function servedRoutes(stack: readonly Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route !== undefined) {
      const { path, methods } = layer.route;
      return Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`);
    }
    return layer.handle?.stack ? servedRoutes(layer.handle.stack) : [];
  });
}

describe("REST route table", () => {
  let doc: OpenApiDoc;
  before(async () => {
    doc = JSON.parse(await readFile(join(root, "openapi", "cri.openapi.json"), "utf8")) as OpenApiDoc;
  });

  it("is what the gateway serves under /v1/, no route more or less", () => {
    const core = createMemoryRuntime({ gatewayUrl: () => "http://127.0.0.1:1", maxMessageBytes: 1 << 20, settings: {} });
    const router = createHttpRouter({ core, version: "test" }) as unknown as { stack: Layer[] };
    const served = servedRoutes(router.stack).filter((r) => r.split(" ")[1]?.startsWith("/v1"));
    const table = restRouteTable.map((r) => `${r.method.toUpperCase()} ${toExpressPath(r)}`);
    assert.ok(table.length >= 14);
    assert.deepEqual([...served].sort(), [...table].sort());
    // The walk does find routes outside the table, so an extra /v1 one would show.
    assert.ok(servedRoutes(router.stack).includes("GET /healthz"));
  });

  it("is what the committed document describes under /v1/, no operation more or less", () => {
    const documented = listOperations(doc)
      .filter((o) => o.path.startsWith("/v1/"))
      .map((o) => `${o.method} ${o.path} ${o.operation.operationId}`);
    const table = restRouteTable.map((r) => `${r.method} ${r.path} ${r.operationId}`);
    assert.deepEqual([...documented].sort(), [...table].sort());
  });

  it("gives each documented operation the table's parameters, body and 200 content types", () => {
    type Param = { name: string; in: string };
    type Op = {
      parameters?: Param[];
      requestBody?: { content: Record<string, unknown> };
      responses: Record<string, { content?: Record<string, unknown> }>;
    };
    for (const route of restRouteTable) {
      const op = doc.paths[route.path]?.[route.method] as Op | undefined;
      assert.ok(op, route.operationId);
      assert.deepEqual(
        (op.parameters ?? []).map((p) => `${p.in} ${p.name}`),
        route.params.map((p) => `${p.in} ${p.name}`),
        route.operationId,
      );
      assert.equal(op.requestBody !== undefined, route.body !== undefined, `${route.operationId} body`);
      const types = Object.keys(op.responses["200"]?.content ?? {});
      const want = route.target.kind === "cri" ? ["application/json"] : (route.responses.content ?? []).map((c) => c.type);
      assert.deepEqual(types, want, `${route.operationId} content types`);
    }
  });
});
