/**
 * Extra path items merged into the generated document: the REST-style read
 * API and the SSE events route served by `src/http`, which no proto method
 * describes. Empty until those routes exist; add one entry per route here so
 * the document (and `openapi/`) stays generated, never hand-edited.
 */
import type { HttpMethod, Operation } from "./openapi-types.js";

/**
 * One REST route. `operation` is a plain OpenAPI operation; it may `$ref`
 * message schemas by proto name (`#/components/schemas/runtime.v1.Container`),
 * which pulls them into the document, and the shared error responses
 * (`#/components/responses/connect.Error.404`) and parameters
 * (`#/components/parameters/connect.TimeoutMs`).
 *
 * @example
 * ```ts
 * { method: "get", path: "/v1/version", operation: {
 *     operationId: "Rest_GetVersion", tags: ["REST"],
 *     responses: { "200": { description: "The runtime's version.",
 *       content: { "application/json": { schema: { $ref: "#/components/schemas/runtime.v1.VersionResponse" } } } } } } }
 * ```
 */
export interface RestRoute {
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/v1/containers/{id}`. Must not collide with an RPC path and method. */
  path: string;
  operation: Operation;
}

/** The routes to document, in the order they appear under `paths`. */
export const restRoutes: readonly RestRoute[] = [];
