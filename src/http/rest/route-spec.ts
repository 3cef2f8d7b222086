/**
 * The shape of one REST route in the route table (`route-table.ts`): the
 * HTTP side (method, path, parameters, body, responses) and what serves it
 * (a CRI method or a named gateway handler). Plain data and types only, so
 * the OpenAPI plugin can import it without the server's runtime code — the
 * way grpc-gateway derives both the handler and the document from one HTTP
 * rule.
 */

/** A JSON value, for examples and schema fragments. */
export type RestJson = string | number | boolean | null | readonly RestJson[] | { readonly [key: string]: RestJson };

/** A JSON Schema fragment (OpenAPI 3.1 dialect), copied into the document as is. */
export type RestJsonSchema = { readonly [key: string]: RestJson };

/**
 * What a route calls.
 * - `cri`: one unary CRI method, named as in the proto (`RuntimeService`,
 *   `ContainerStatus`). The server builds the request from the parameters
 *   and body and answers with the reply's proto JSON; the document takes
 *   the 200 schema from the method's output.
 * - `handler`: a gateway handler registered under `name` with
 *   `createRestRouter({ handlers })` (e.g. the SSE event stream). The router
 *   checks the query against `params` first and hands the parsed values
 *   over; the handler writes the response, whose content types `responses`
 *   declares.
 */
export type RestTarget =
  | { readonly kind: "cri"; readonly service: "RuntimeService" | "ImageService"; readonly method: string }
  | { readonly kind: "handler"; readonly name: string };

/**
 * The value types a path or query parameter can have, as the server parses
 * them (every parse failure is invalid_argument, HTTP 400):
 * - `string`: non-empty text;
 * - `boolean`: `true`/`1`/bare `?name` true, `false`/`0` false, absent false;
 * - `integer`: a decimal whole number, at least `minimum` (default 0);
 * - `date-time`: an RFC 3339 timestamp (`2024-05-01T10:00:00Z`);
 * - `enum`: one of `values`' keys or the enum names they map to, matched
 *   case-insensitively; the value is the enum name;
 * - `labels`: repeatable `key=value` terms, parsed into a map (a key given
 *   twice is refused).
 */
export type RestParamType = "string" | "boolean" | "integer" | "date-time" | "enum" | "labels";

/** One path or query parameter. */
export interface RestParam {
  readonly name: string;
  readonly in: "path" | "query";
  readonly type: RestParamType;
  /** For people: what it selects, how it is spelled. */
  readonly description: string;
  /**
   * For `cri` routes: the request field it fills, as a dotted proto JSON
   * path (`containerId`, `filter.state.state`, `image.image`). Absent
   * parameters leave the field (and its parents) unset.
   */
  readonly field?: string;
  /** For `enum`: accepted short names (lower case) → the enum value name each means. */
  readonly values?: Readonly<Record<string, string>>;
  /** For `integer`: the smallest accepted value. Default 0. */
  readonly minimum?: number;
  /** The value when absent (documentation; the server's parse yields it for booleans). */
  readonly default?: RestJson;
  /** A path parameter that takes the rest of the path, slashes included (`/v1/images/{ref}`). */
  readonly restOfPath?: boolean;
  /** An example value, used by the document and so by Postman. */
  readonly example?: RestJson;
}

/**
 * The type of one JSON body field: `string[]` is an array of strings;
 * `int64` a whole number ≥ 0, as a JSON number or a decimal string (proto
 * JSON's spelling), in `unit` when given.
 */
export type RestBodyFieldType = "string[]" | "int64";

/** One field of a JSON request body. */
export interface RestBodyField {
  readonly name: string;
  readonly type: RestBodyFieldType;
  readonly description: string;
  /** Documented as required. The server leaves emptiness to the CRI request check. */
  readonly required?: boolean;
  /** For `int64`: the unit, named in the error message (`seconds`). */
  readonly unit?: string;
}

/**
 * A JSON request body. Its fields are merged into the request message
 * beside the path parameters (grpc-gateway's `body: "*"`); any other field
 * is invalid_argument. Sent with `Content-Type: application/json` only.
 */
export interface RestBody {
  readonly description: string;
  readonly fields: readonly RestBodyField[];
  /** A valid body, shown in the document and in error messages. */
  readonly example: RestJson;
}

/** One content type of a successful response of a `handler` route. */
export interface RestContent {
  /** The media type, e.g. `text/event-stream`, `text/plain`. */
  readonly type: string;
  readonly schema: RestJsonSchema;
  readonly example?: RestJson;
}

/** The successful response and the error statuses a route can answer. */
export interface RestResponses {
  /** For people: what the 200 carries. */
  readonly description: string;
  /**
   * The 200's content types. Omit for `cri` routes: they answer
   * `application/json` with the method's output message. Required for
   * `handler` routes; the first is the default.
   */
  readonly content?: readonly RestContent[];
  /** Response headers worth documenting, by name. */
  readonly headers?: Readonly<Record<string, { readonly description: string; readonly schema: RestJsonSchema }>>;
  /** HTTP statuses of the Connect errors it may send (400, 404, …). */
  readonly errors: readonly number[];
}

/** One REST route: everything the server serves and the document says about it. */
export interface RestRouteSpec {
  /** Unique, `rest_` + lowerCamel; the OpenAPI operationId. */
  readonly operationId: string;
  readonly method: "get" | "post";
  /** OpenAPI path template: `/v1/containers/{id}`. Each `{x}` is a path parameter in `params`. */
  readonly path: string;
  readonly summary: string;
  readonly description: string;
  readonly target: RestTarget;
  /** Path and query parameters; query parameters in the order error messages list them. */
  readonly params: readonly RestParam[];
  readonly body?: RestBody;
  readonly responses: RestResponses;
  /** True when calling it changes nothing; only read-only routes may be GET. */
  readonly readOnly: boolean;
  /**
   * True when the documented example is a valid call against a fresh
   * gateway (no id from an earlier call needed); written as
   * `x-example-standalone`.
   */
  readonly standalone: boolean;
  /** For a `cri` route: a reply without this field is answered as not_found, naming the first path parameter. */
  readonly notFoundWhenAbsent?: { readonly field: string; readonly noun: string };
  /** Written as `x-streaming` (e.g. `sse`) for a route whose response never ends on its own. */
  readonly streaming?: string;
}

/** The express path of a route: `{id}` → `:id`, a rest-of-path `{ref}` → `*ref`. */
export function toExpressPath(route: RestRouteSpec): string {
  return route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const param = route.params.find((p) => p.in === "path" && p.name === name);
    return param?.restOfPath === true ? `*${name}` : `:${name}`;
  });
}

/** The names of a route's query parameters, in table order. */
export function queryParamNames(route: RestRouteSpec): string[] {
  return route.params.filter((p) => p.in === "query").map((p) => p.name);
}
