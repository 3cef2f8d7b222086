/**
 * Validates response bodies against the OpenAPI document's own schemas with
 * ajv in the JSON Schema 2020-12 dialect (OpenAPI 3.1's), strict mode on, so
 * a keyword or format ajv does not know fails loudly instead of being
 * skipped. Test-only.
 */
import assert from "node:assert/strict";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/** The parts of an OpenAPI document the validator reads. */
export interface OpenApiDoc {
  paths: Record<string, Record<string, OpenApiOperation | unknown>>;
  components: { schemas: Record<string, unknown>; responses?: Record<string, unknown> };
  servers?: { url: string; description?: string }[];
  [key: string]: unknown;
}

/** An operation, with what the tests read. */
export interface OpenApiOperation {
  operationId: string;
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }>;
  requestBody?: { content: Record<string, { schema: unknown; example?: unknown }> };
  parameters?: { name?: string; in?: string; $ref?: string; content?: Record<string, { example?: unknown }> }[];
  "x-example-standalone"?: boolean;
  "x-connect-streaming"?: string;
}

export const httpMethods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/** Every operation of the document with its method and path. */
export function listOperations(doc: OpenApiDoc): { method: string; path: string; operation: OpenApiOperation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    httpMethods.filter((m) => item[m] !== undefined).map((method) => ({ method, path, operation: item[method] as OpenApiOperation })),
  );
}

const documentId = "urn:cri-gateway:openapi";

/** JSON Pointer escaping (RFC 6901) of one segment. */
function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

// Protobuf's JSON mapping as the document states it: int64 as a decimal string, int32 and double as numbers.
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
const formats = {
  int64: { type: "string", validate: (s: string) => /^-?[0-9]+$/.test(s) && BigInt(s) >= int64Min && BigInt(s) <= int64Max },
  int32: { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 },
  double: { type: "number", validate: (n: number) => Number.isFinite(n) },
} as const;

/** A validator for one document; see {@link createDocumentValidator}. */
export interface DocumentValidator {
  /**
   * Assert that `body` matches the `application/json` schema of the response
   * `status` of the operation `method path` (following `$ref`s to shared
   * responses). Fails when the operation does not declare that status.
   */
  assertResponse(method: string, path: string, status: number, body: unknown): void;
}

/** Compile validators lazily against `doc`, which is added to ajv whole so every `#/components/...` ref resolves. */
export function createDocumentValidator(doc: OpenApiDoc): DocumentValidator {
  const ajv = new Ajv2020({ strict: true, allErrors: true, formats });
  addFormats.default(ajv);
  // The root is not a schema: only its `paths` and `components` are kept, as
  // annotation keywords ajv skips, so `$ref`s into them resolve while strict
  // mode still checks every schema that is compiled.
  ajv.addKeyword({ keyword: "paths" });
  ajv.addKeyword({ keyword: "components" });
  ajv.addSchema({ $id: documentId, paths: doc.paths, components: doc.components });
  const compiled = new Map<string, ValidateFunction>();

  const responsePointer = (method: string, path: string, status: number): string => {
    const operation = doc.paths[path]?.[method] as OpenApiOperation | undefined;
    assert.ok(operation, `the document has no operation ${method.toUpperCase()} ${path}`);
    const response = operation.responses[String(status)];
    assert.ok(response, `${operation.operationId} declares no response ${status}`);
    if (response.$ref !== undefined) {
      const target = response.$ref.slice(1); // "#/components/responses/x" → "/components/responses/x"
      return `${target}/content/application~1json/schema`;
    }
    return ["", "paths", path, method, "responses", String(status), "content", "application/json", "schema"].map(escapePointer).join("/");
  };

  return {
    assertResponse(method, path, status, body) {
      const pointer = responsePointer(method, path, status);
      let validate = compiled.get(pointer);
      if (validate === undefined) {
        validate = ajv.compile({ $ref: `${documentId}#${pointer}` });
        compiled.set(pointer, validate);
      }
      if (!validate(body)) {
        assert.fail(
          `${method.toUpperCase()} ${path} → ${status}: body does not match the document's schema:\n` +
            `${ajv.errorsText(validate.errors, { separator: "\n" })}\nbody: ${JSON.stringify(body).slice(0, 2000)}`,
        );
      }
    },
  };
}
