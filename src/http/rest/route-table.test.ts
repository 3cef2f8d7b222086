/**
 * The route table is well formed, and the router refuses tables it cannot
 * serve: every `cri` route names a unary CRI method whose request has the
 * fields the parameters fill; path templates and path parameters agree;
 * GET only for read-only routes; handler routes declare their content.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { ImageService, RuntimeService } from "../../../gen/runtime/v1/api_pb.js";
import { createMemoryRuntime } from "../../runtimes/memory/index.js";
import type { RestRouteSpec } from "./route-spec.js";
import { restRouteTable } from "./route-table.js";
import { createRestRouter } from "./routes.js";

/** True when the dotted proto JSON path names a field chain of `message`. */
function hasFieldPath(message: DescMessage, path: string): boolean {
  let current: DescMessage | undefined = message;
  const keys = path.split(".");
  for (const [i, key] of keys.entries()) {
    const field: DescField | undefined = current?.fields.find((f) => f.jsonName === key);
    if (field === undefined) return false;
    if (i === keys.length - 1) return true;
    current = field.fieldKind === "message" ? field.message : undefined;
  }
  return false;
}

const core = createMemoryRuntime({ gatewayUrl: () => "http://127.0.0.1:1", maxMessageBytes: 1 << 20, settings: {} });
const version = restRouteTable.find((r) => r.operationId === "rest_version") as RestRouteSpec;

describe("restRouteTable", () => {
  it("has unique operationIds and unique method + path pairs", () => {
    assert.equal(new Set(restRouteTable.map((r) => r.operationId)).size, restRouteTable.length);
    assert.equal(new Set(restRouteTable.map((r) => `${r.method} ${r.path}`)).size, restRouteTable.length);
    for (const r of restRouteTable) assert.match(r.operationId, /^rest_[a-zA-Z]+$/);
  });

  it("declares exactly the path parameters of each template", () => {
    for (const r of restRouteTable) {
      const inPath = [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      assert.deepEqual(r.params.filter((p) => p.in === "path").map((p) => p.name), inPath, r.operationId);
    }
  });

  it("maps every cri route onto a unary method whose request has each parameter's field", () => {
    for (const r of restRouteTable) {
      if (r.target.kind !== "cri") {
        assert.ok((r.responses.content ?? []).length > 0, `${r.operationId}: a handler route declares its content`);
        continue;
      }
      const { service, method: name } = r.target;
      const method = (service === "ImageService" ? ImageService : RuntimeService).methods.find((m) => m.name === name);
      assert.equal(method?.methodKind, "unary", r.operationId);
      if (method === undefined) continue;
      for (const p of r.params) {
        assert.ok(p.field !== undefined, `${r.operationId}: ${p.name} fills no field`);
        assert.ok(hasFieldPath(method.input, p.field), `${r.operationId}: ${method.input.name} has no ${p.field}`);
      }
      for (const f of r.body?.fields ?? []) assert.ok(hasFieldPath(method.input, f.name), `${r.operationId}: body ${f.name}`);
    }
  });

  it("uses GET only for read-only routes", () => {
    for (const r of restRouteTable) if (r.method === "get") assert.equal(r.readOnly, true, r.operationId);
  });
});

describe("createRestRouter", () => {
  const handlerRoute: RestRouteSpec = {
    ...version,
    operationId: "rest_thing",
    path: "/v1/thing",
    target: { kind: "handler", name: "thing" },
    responses: { description: "x", content: [{ type: "text/plain", schema: { type: "string" } }], errors: [400] },
  };

  it("refuses a handler route without its handler, and a handler without a route", () => {
    assert.throws(() => createRestRouter({ core, table: [handlerRoute] }), /rest_thing: no handler "thing"/);
    assert.throws(
      () => createRestRouter({ core, table: [version], handlers: { thing: () => undefined } }),
      /handlers without a route in the table: thing/,
    );
  });

  it("refuses a GET route that is not read-only and a cri route naming no unary method", () => {
    assert.throws(() => createRestRouter({ core, table: [{ ...version, readOnly: false }] }), /GET must be read-only/);
    const streaming: RestRouteSpec = { ...version, target: { kind: "cri", service: "RuntimeService", method: "GetContainerEvents" } };
    assert.throws(() => createRestRouter({ core, table: [streaming] }), /not a unary CRI method/);
  });

  it("serves the default table with its events and logs handlers", () => {
    const router = createRestRouter({ core, handlers: { containerEvents: () => undefined, containerLogs: () => undefined } });
    assert.equal((router as unknown as { stack: unknown[] }).stack.length, restRouteTable.length);
  });
});
