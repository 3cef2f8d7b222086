/**
 * The slice of OpenAPI 3.1 (and its JSON Schema 2020-12 dialect) that the
 * generator writes. Typed by hand rather than taken from a package so the
 * plugin has no dependency beyond protoplugin and yaml; every key here is
 * spelled as in https://spec.openapis.org/oas/v3.1.0.
 */

/** Any JSON value; examples and `const` carry these. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON Schema (2020-12) object as OpenAPI 3.1 uses it in `components.schemas` and media types. */
export interface Schema {
  $ref?: string;
  title?: string;
  description?: string;
  type?: "string" | "integer" | "number" | "boolean" | "object" | "array";
  format?: string;
  pattern?: string;
  minLength?: number;
  default?: JsonValue;
  contentEncoding?: string;
  contentMediaType?: string;
  contentSchema?: Schema;
  minimum?: number;
  maximum?: number;
  enum?: (string | number)[];
  const?: JsonValue;
  items?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  propertyNames?: Schema;
  required?: string[];
  dependentSchemas?: Record<string, Schema>;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  not?: Schema;
  deprecated?: boolean;
  examples?: JsonValue[];
}

/** A media type entry under `content`. */
export interface MediaType {
  schema?: Schema;
  example?: JsonValue;
}

/** A header or query parameter (a `$ref` to `components.parameters` is a {@link Reference}). */
export interface Parameter {
  name: string;
  in: "query" | "header" | "path" | "cookie";
  description?: string;
  required?: boolean;
  schema?: Schema;
  content?: Record<string, MediaType>;
  example?: JsonValue;
  style?: "form" | "simple" | "label" | "matrix" | "spaceDelimited" | "pipeDelimited" | "deepObject";
  explode?: boolean;
  allowReserved?: boolean;
}

/** A `$ref` to a reusable component, with optional summary/description overrides. */
export interface Reference {
  $ref: string;
  summary?: string;
  description?: string;
}

export interface RequestBody {
  description?: string;
  required?: boolean;
  content: Record<string, MediaType>;
}

export interface Response {
  description: string;
  headers?: Record<string, { description?: string; schema: Schema }>;
  content?: Record<string, MediaType>;
}

/** An operation. Vendor extensions (`x-…`) are allowed, as in the spec. */
export interface Operation {
  operationId: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: (Parameter | Reference)[];
  requestBody?: RequestBody | Reference;
  responses: Record<string, Response | Reference>;
  security?: Record<string, string[]>[];
  deprecated?: boolean;
  [extension: `x-${string}`]: JsonValue | undefined;
}

export type HttpMethod = "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace";

export type PathItem = { summary?: string; description?: string } & Partial<Record<HttpMethod, Operation>>;

export interface SecurityScheme {
  type: "http" | "apiKey" | "oauth2" | "openIdConnect" | "mutualTLS";
  scheme?: string;
  bearerFormat?: string;
  description?: string;
}

export interface Tag {
  name: string;
  description?: string;
}

export interface ServerObject {
  url: string;
  description?: string;
  variables?: Record<string, { default: string; description?: string; enum?: string[] }>;
}

/** The whole document. */
export interface OpenApiDocument {
  openapi: "3.1.0";
  info: {
    title: string;
    version: string;
    summary?: string;
    description?: string;
    license?: { name: string; identifier?: string; url?: string };
  };
  servers?: ServerObject[];
  security?: Record<string, string[]>[];
  tags?: Tag[];
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, Schema>;
    responses?: Record<string, Response>;
    parameters?: Record<string, Parameter>;
    securitySchemes?: Record<string, SecurityScheme>;
  };
}
