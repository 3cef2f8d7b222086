/**
 * The REST routes' operations, derived from the route table the server
 * serves (`src/http/rest/route-table.ts`) — the document never describes a
 * route by hand, so the two cannot drift. A `cri` route's 200 schema is its
 * method's output message; a `handler` route brings its own content types.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { RestBody, RestJson, RestParam, RestRouteSpec } from "../../src/http/rest/route-spec.js";
import { contentTypeUnaryJson } from "./connect-protocol.js";
import { schemaRef } from "./json-mapping.js";
import type { HttpMethod, JsonValue, MediaType, Operation, Parameter, Reference, Response, Schema } from "./openapi-types.js";

/**
 * One REST path item entry. `operation` is a plain OpenAPI operation; it may
 * `$ref` message schemas by proto name (`#/components/schemas/runtime.v1.Container`),
 * which pulls them into the document, and the shared error responses
 * (`#/components/responses/connect.Error.404`).
 */
export interface RestRoute {
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/v1/containers/{id}`. Must not collide with an RPC path and method. */
  path: string;
  operation: Operation;
}

const tags = ["REST"];

/** The table's readonly JSON as the document's JSON (a copy). */
function json(value: RestJson): JsonValue {
  return structuredClone(value) as JsonValue;
}

/** The shared Connect error responses for `statuses`. */
function errors(statuses: readonly number[]): Record<string, Reference> {
  return Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/connect.Error.${s}` }]));
}

function paramSchema(param: RestParam): Schema {
  const base: Schema = ((): Schema => {
    switch (param.type) {
      case "string":
        return { type: "string", minLength: 1 };
      case "boolean":
        return { type: "boolean" };
      case "integer":
        return { type: "integer", minimum: param.minimum ?? 0 };
      case "date-time":
        return { type: "string", format: "date-time" };
      case "enum":
        return { type: "string", enum: [...Object.keys(param.values ?? {}), ...Object.values(param.values ?? {})] };
      case "labels":
        return { type: "array", items: { type: "string", pattern: "^[^=]+=.*$" } };
    }
  })();
  return { ...base, ...(param.default !== undefined && { default: json(param.default) }) };
}

function toParameter(param: RestParam): Parameter {
  return {
    name: param.name,
    in: param.in,
    description: param.description,
    required: param.in === "path",
    ...(param.type === "labels" && { style: "form" as const, explode: true }),
    ...(param.restOfPath === true && { allowReserved: true }),
    schema: paramSchema(param),
    ...(param.example !== undefined && { example: json(param.example) }),
  };
}

function bodySchema(body: RestBody): Schema {
  const properties: Record<string, Schema> = {};
  for (const field of body.fields) {
    properties[field.name] =
      field.type === "string[]"
        ? { type: "array", items: { type: "string" }, description: field.description }
        : {
            description: field.description,
            oneOf: [
              { type: "integer", minimum: 0 },
              { type: "string", pattern: "^[0-9]{1,18}$" },
            ],
          };
  }
  const required = body.fields.filter((f) => f.required === true).map((f) => f.name);
  // The example doubles as `default`, which schema-driven importers
  // (Postman's defaults) use instead of faking placeholders (see document.ts).
  return {
    type: "object",
    description: "Unknown fields are `invalid_argument`.",
    properties,
    ...(required.length > 0 && { required }),
    additionalProperties: false,
    default: json(body.example),
  };
}

function okResponse(route: RestRouteSpec, method: DescMethod | undefined): Response {
  const { responses } = route;
  const headers = responses.headers && Object.fromEntries(
    Object.entries(responses.headers).map(([name, h]) => [name, { description: h.description, schema: json(h.schema) as Schema }]),
  );
  if (method !== undefined) {
    return {
      description: `${responses.description}: the ${method.output.name} message in proto JSON, byte for byte what the Connect API returns.`,
      ...(headers && { headers }),
      content: { [contentTypeUnaryJson]: { schema: schemaRef(method.output) } },
    };
  }
  const content: Record<string, MediaType> = {};
  for (const c of responses.content ?? []) {
    content[c.type] = { schema: json(c.schema) as Schema, ...(c.example !== undefined && { example: json(c.example) }) };
  }
  return { description: responses.description, ...(headers && { headers }), content };
}

/** The CRI method a route names, among `services`; throws when none or not unary. */
function findMethod(route: RestRouteSpec, services: readonly DescService[]): DescMethod | undefined {
  const { target } = route;
  if (target.kind !== "cri") return undefined;
  const method = services.find((s) => s.name === target.service)?.methods.find((m) => m.name === target.method);
  if (method === undefined || method.methodKind !== "unary") {
    throw new Error(`REST route ${route.operationId}: ${target.service}/${target.method} is not a unary method of the services`);
  }
  return method;
}

/**
 * The document's operation for each table entry, in table order. Throws
 * when a `cri` route names a method `services` lack, when a `handler` route
 * declares no content, or when a `{param}` of the path is not declared.
 */
export function toRestRoutes(table: readonly RestRouteSpec[], services: readonly DescService[]): RestRoute[] {
  return table.map((route) => {
    const method = findMethod(route, services);
    if (method === undefined && (route.responses.content ?? []).length === 0) {
      throw new Error(`REST route ${route.operationId}: a handler route must declare its response content`);
    }
    for (const [, name] of route.path.matchAll(/\{([^}]+)\}/g)) {
      if (!route.params.some((p) => p.in === "path" && p.name === name)) {
        throw new Error(`REST route ${route.operationId}: path parameter {${name}} is not declared`);
      }
    }
    const parameters = route.params.map(toParameter);
    const operation: Operation = {
      operationId: route.operationId,
      summary: route.summary,
      description: route.description,
      tags,
      ...(parameters.length > 0 && { parameters }),
      ...(route.body !== undefined && {
        requestBody: {
          description: route.body.description,
          required: true,
          content: { [contentTypeUnaryJson]: { schema: bodySchema(route.body), example: json(route.body.example) } },
        },
      }),
      responses: { "200": okResponse(route, method), ...errors(route.responses.errors) },
      "x-example-standalone": route.standalone,
      ...(route.streaming !== undefined && { "x-streaming": route.streaming }),
    };
    return { method: route.method, path: route.path, operation };
  });
}
