/**
 * The document builder and the plugin: paths, operations, Connect error
 * responses and GET forms for the CRI services, REST route merging, and the
 * committed openapi/ files (valid 3.1 structure, refs resolve, YAML == JSON).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema } from "@bufbuild/protobuf/wkt";
import { parse } from "yaml";
import { ImageService, RuntimeService, file_runtime_v1_api } from "../../gen/runtime/v1/api_pb.js";
import { normalizeComment } from "./comments.js";
import { errorStatuses } from "./connect-protocol.js";
import { createOpenApiDocument, isSideEffectFree, unresolvedRefs } from "./document.js";
import type { OpenApiDocument, Operation, Parameter, Reference, RequestBody } from "./openapi-types.js";
import { openApiPlugin, outputJson, outputYaml } from "./plugin.js";

const services = [RuntimeService, ImageService];
const doc = createOpenApiDocument({ services });
const rpcPath = (service: string, method: string) => `/runtime.v1.${service}/${method}`;

function operations(d: OpenApiDocument): [string, string, Operation][] {
  return Object.entries(d.paths).flatMap(([path, item]) =>
    (["get", "post", "put", "delete", "patch"] as const).flatMap((m) => {
      const op = item[m];
      return op ? [[path, m, op] as [string, string, Operation]] : [];
    }),
  );
}

function body(op: Operation): RequestBody {
  assert.ok(op.requestBody && !("$ref" in op.requestBody));
  return op.requestBody;
}

describe("createOpenApiDocument", () => {
  it("has one Connect path per CRI method", () => {
    const want = services.flatMap((s) => s.methods.map((m) => rpcPath(s.name, m.name)));
    assert.equal(want.length, 43);
    assert.deepEqual(Object.keys(doc.paths), want);
  });

  it("posts unary methods as application/json and streams as application/connect+json", () => {
    for (const service of services) {
      for (const method of service.methods) {
        const post = doc.paths[rpcPath(service.name, method.name)]?.post;
        assert.ok(post, method.name);
        const type = method.methodKind === "unary" ? "application/json" : "application/connect+json";
        assert.deepEqual(Object.keys(body(post).content), [type], method.name);
        const ref = { $ref: `#/components/schemas/${method.input.typeName}` };
        const schema = body(post).content[type]?.schema;
        if (method.methodKind === "unary") {
          // The example (else the empty message) is the default, which Postman's import sends.
          assert.deepEqual(schema?.allOf, [ref], method.name);
          assert.deepEqual(schema?.default, body(post).content[type]?.example ?? {}, method.name);
        } else {
          assert.deepEqual(schema, ref, method.name);
        }
        assert.equal(post.operationId, `${service.name}_${method.name}`);
        assert.deepEqual(post.tags, [service.name]);
      }
    }
  });

  it("marks exactly the read-only unary methods side-effect free and gives only them a GET", () => {
    const readOnly = services.flatMap((s) => s.methods.filter(isSideEffectFree).map((m) => m.name));
    assert.deepEqual(readOnly.sort(), [
      "ContainerStats",
      "ContainerStatus",
      "ImageFsInfo",
      "ImageStatus",
      "ListContainerStats",
      "ListContainers",
      "ListImages",
      "ListMetricDescriptors",
      "ListPodSandbox",
      "ListPodSandboxMetrics",
      "ListPodSandboxStats",
      "PodSandboxStats",
      "PodSandboxStatus",
      "RuntimeConfig",
      "Status",
      "Version",
    ]);
    const withGet = operations(doc).filter(([, m]) => m === "get");
    assert.deepEqual(withGet.map(([p]) => p.split("/")[2]).sort(), readOnly.sort());
  });

  it("describes the GET form with connect, encoding and a JSON message whose default is the example", () => {
    const get = doc.paths[rpcPath("RuntimeService", "ListContainers")]?.get;
    assert.ok(get);
    const params = get.parameters ?? [];
    const refs = params.filter((p): p is Reference => "$ref" in p).map((p) => p.$ref.split("/").pop());
    // No optional Connect-Timeout-Ms or base64: importers fill every optional parameter.
    assert.deepEqual(refs, ["connect.GetConnect", "connect.GetEncoding"]);
    assert.match(get.description ?? "", /base64=1/);
    const message = params.find((p): p is Parameter => !("$ref" in p) && p.name === "message");
    assert.equal(message?.required, true);
    assert.deepEqual(message?.schema, {
      type: "string",
      contentMediaType: "application/json",
      contentSchema: { $ref: "#/components/schemas/runtime.v1.ListContainersRequest" },
      default: "{}",
    });
    const status = doc.paths[rpcPath("RuntimeService", "ContainerStatus")]?.get?.parameters ?? [];
    const statusMessage = status.find((p): p is Parameter => !("$ref" in p) && p.name === "message");
    assert.equal(statusMessage?.schema?.default, JSON.stringify({ containerId: "<container-id>" }));
    assert.equal(get.operationId, "RuntimeService_ListContainers_Get");
  });

  it("answers errors with Connect's status table", () => {
    assert.deepEqual(
      errorStatuses().map((s) => s.status),
      [400, 401, 403, 404, 409, 429, 499, 500, 501, 503, 504],
    );
    assert.deepEqual(errorStatuses().find((s) => s.status === 400)?.codes, [
      "invalid_argument",
      "failed_precondition",
      "out_of_range",
    ]);
    const post = doc.paths[rpcPath("RuntimeService", "StopContainer")]?.post;
    assert.deepEqual(Object.keys(post?.responses ?? {}), ["200", ...errorStatuses().map((s) => String(s.status))]);
  });

  it("documents server streams as a single 200 with frame payload schemas", () => {
    const post = doc.paths[rpcPath("RuntimeService", "GetContainerEvents")]?.post;
    assert.ok(post);
    assert.deepEqual(Object.keys(post.responses), ["200"]);
    assert.match(post.description ?? "", /5-byte prefix/);
    assert.equal(doc.paths[rpcPath("RuntimeService", "GetContainerEvents")]?.get, undefined);
  });

  it("gives the common methods examples and says which are valid calls alone", () => {
    const version = doc.paths[rpcPath("RuntimeService", "Version")]?.post;
    assert.deepEqual(version && body(version).content["application/json"]?.example, {});
    assert.equal(version?.["x-example-standalone"], true);
    const pull = doc.paths[rpcPath("ImageService", "PullImage")]?.post;
    assert.deepEqual(pull && body(pull).content["application/json"]?.example, { image: { image: "busybox" } });
    assert.equal(doc.paths[rpcPath("RuntimeService", "ExecSync")]?.post?.["x-example-standalone"], false);
  });

  it("rejects an example that is not a valid request", () => {
    assert.throws(
      () => createOpenApiDocument({ services, examples: { "RuntimeService/Version": { value: { versionn: "x" }, standalone: true } } }),
      /example for RuntimeService\/Version is not a valid runtime\.v1\.VersionRequest/,
    );
  });

  it("never marks a CRI message field required", () => {
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      if (name.startsWith("runtime.v1.")) assert.equal(schema.required, undefined, name);
    }
  });

  it("merges REST routes and pulls in the schemas they reference", () => {
    const withRest = createOpenApiDocument({
      services: [ImageService],
      restRoutes: [
        {
          method: "get",
          path: "/v1/version",
          operation: {
            operationId: "Rest_Version",
            tags: ["REST"],
            responses: {
              "200": {
                description: "The version.",
                content: { "application/json": { schema: { $ref: "#/components/schemas/runtime.v1.VersionResponse" } } },
              },
            },
          },
        },
      ],
    });
    assert.ok(withRest.paths["/v1/version"]?.get);
    assert.ok(withRest.components.schemas["runtime.v1.VersionResponse"]);
    assert.ok(withRest.tags?.some((t) => t.name === "REST"));
    assert.deepEqual(unresolvedRefs(withRest), []);
  });

  it("refuses a REST route that collides with an RPC", () => {
    const path = rpcPath("ImageService", "ListImages");
    assert.throws(
      () =>
        createOpenApiDocument({
          services: [ImageService],
          restRoutes: [{ method: "post", path, operation: { operationId: "x", responses: {} } }],
        }),
      /collides/,
    );
  });
});

describe("normalizeComment", () => {
  const cases: { desc: string; input: string | undefined; want: string | undefined }[] = [
    { desc: "drops the space after //", input: " Lists images.\n", want: "Lists images." },
    { desc: "keeps line breaks of multi-line comments", input: " One.\n Two.\n", want: "One.\nTwo." },
    { desc: "turns a blank comment into none", input: " \n", want: undefined },
    { desc: "passes a missing comment through", input: undefined, want: undefined },
  ];
  for (const c of cases) {
    it(c.desc, () => assert.equal(normalizeComment(c.input), c.want));
  }
});

describe("openApiPlugin", () => {
  const request = create(CodeGeneratorRequestSchema, {
    fileToGenerate: [file_runtime_v1_api.proto.name],
    protoFile: [file_runtime_v1_api.proto],
  });

  it("writes the same document as YAML and JSON", () => {
    const files = openApiPlugin.run(request).file;
    assert.deepEqual(
      files.map((f) => f.name),
      [outputYaml, outputJson],
    );
    assert.deepEqual(parse(files[0]?.content ?? ""), JSON.parse(files[1]?.content ?? ""));
  });

  it("takes no options", () => {
    assert.throws(() => openApiPlugin.run({ ...request, parameter: "x=1" }), /takes no options/);
  });
});

describe("committed openapi/", () => {
  const dir = join(import.meta.dirname, "../../openapi");
  const json = JSON.parse(readFileSync(join(dir, outputJson), "utf8")) as OpenApiDocument;
  const yaml = parse(readFileSync(join(dir, outputYaml), "utf8")) as unknown;

  it("holds the same document in YAML and JSON", () => assert.deepEqual(yaml, json));

  it("is structurally an OpenAPI 3.1 document whose refs all resolve", () => {
    assert.equal(json.openapi, "3.1.0");
    assert.ok(json.info.title && json.info.version);
    assert.deepEqual(unresolvedRefs(json), []);
    const ids = new Set<string>();
    for (const [path, method, op] of operations(json)) {
      assert.match(path, /^\//);
      assert.ok(!ids.has(op.operationId), `duplicate operationId ${op.operationId}`);
      ids.add(op.operationId);
      assert.ok(Object.keys(op.responses).length > 0, `${method} ${path} has responses`);
      for (const [status, response] of Object.entries(op.responses)) {
        assert.match(status, /^[1-5][0-9][0-9]$/);
        assert.ok("$ref" in response || response.description, `${method} ${path} ${status} has a description`);
      }
      for (const p of op.parameters ?? []) {
        if ("$ref" in p) continue;
        assert.ok(p.name && ["query", "header", "path", "cookie"].includes(p.in));
        assert.ok((p.schema === undefined) !== (p.content === undefined), "a parameter has schema or content");
      }
    }
    for (const name of Object.keys(json.components.schemas)) assert.match(name, /^[a-zA-Z0-9.\-_]+$/);
  });

  it("takes its descriptions from the proto comments", () => {
    const version = json.paths["/runtime.v1.RuntimeService/Version"]?.post;
    assert.equal(version?.summary, "Reports runtime name/version and the CRI version it speaks");
    assert.ok(json.components.schemas["runtime.v1.ExecSyncResponse"]?.description);
  });
});
