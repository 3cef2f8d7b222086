/**
 * Reads the path and query parameters a route-table entry declares, by
 * their declared types, and lays them into a request message's proto JSON
 * by their `field` paths. Every failure is invalid_argument with a message
 * naming the parameter.
 */
import type { Request } from "express";
import { CoreError } from "../../core/core-error.js";
import { parseRestQuery } from "./query.js";
import type { RestParam, RestRouteSpec } from "./route-spec.js";
import { queryParamNames } from "./route-spec.js";

/** A parsed parameter: text, flag, number, or a label map. */
export type RestParamValue = string | boolean | number | Readonly<Record<string, string>>;

/** The parsed parameters of one request, by name; absent ones (booleans aside) are missing. */
export type RestParams = Readonly<Record<string, RestParamValue>>;

/**
 * Parse the parameters `route` declares from `req`. Throws invalid_argument
 * for an unknown query parameter, a repeated single one, an empty value, or
 * a value its type does not allow.
 */
export function parseRouteParams(route: RestRouteSpec, req: Request): RestParams {
  const query = parseRestQuery(req.originalUrl, queryParamNames(route));
  const out: Record<string, RestParamValue> = {};
  for (const param of route.params) {
    if (param.in === "path") {
      out[param.name] = pathValue(req, param);
      continue;
    }
    if (param.type === "boolean") {
      out[param.name] = query.flag(param.name);
      continue;
    }
    if (param.type === "labels") {
      const labels = parseLabelSelector(query.all(param.name));
      if (labels !== undefined) out[param.name] = labels;
      continue;
    }
    const text = query.text(param.name);
    if (text !== undefined) out[param.name] = parseScalar(param, text);
  }
  return out;
}

/**
 * The request message of a `cri` route as proto JSON: each parameter with a
 * `field` set at that dotted path, then the body's fields (already checked)
 * merged on top. A `false` flag is left out, as proto JSON leaves defaults.
 */
export function toRequestJson(route: RestRouteSpec, params: RestParams, body: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const param of route.params) {
    const value = params[param.name];
    if (param.field === undefined || value === undefined || value === false) continue;
    setPath(json, param.field, value);
  }
  return { ...json, ...body };
}

function setPath(json: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = json;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = (typeof next === "object" && next !== null ? next : (node[key] = {})) as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function pathValue(req: Request, param: RestParam): string {
  const raw: unknown = (req.params as Record<string, unknown>)[param.name];
  // A rest-of-path wildcard arrives as its segments (already percent-decoded).
  return Array.isArray(raw) ? raw.join("/") : String(raw ?? "");
}

// RFC 3339 date-time (https://www.rfc-editor.org/rfc/rfc3339#section-5.6).
const dateTime = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseScalar(param: RestParam, text: string): RestParamValue {
  switch (param.type) {
    case "integer": {
      const minimum = param.minimum ?? 0;
      const n = /^-?\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < minimum) {
        throw new CoreError("invalid_argument", `query parameter "${param.name}" must be a whole number of at least ${minimum}, got "${text}"`);
      }
      return n;
    }
    case "date-time":
      if (!dateTime.test(text) || Number.isNaN(Date.parse(text))) {
        throw new CoreError("invalid_argument", `query parameter "${param.name}" must be an RFC 3339 time like 2024-05-01T10:00:00Z, got "${text}"`);
      }
      return text;
    case "enum":
      return parseEnum(param, text);
    default:
      return text;
  }
}

function parseEnum(param: RestParam, text: string): string {
  const values = param.values ?? {};
  const key = text.toLowerCase();
  if (Object.hasOwn(values, key)) return values[key] as string;
  const name = Object.values(values).find((v) => v.toLowerCase() === key);
  if (name === undefined) {
    throw new CoreError(
      "invalid_argument",
      `query parameter "${param.name}" must be one of ${Object.keys(values).join(", ")}, got "${text}"`,
    );
  }
  return name;
}

/**
 * Turn repeated `key=value` texts into a label selector; undefined for none.
 * The value may itself contain "=" (only the first one splits). Throws
 * invalid_argument for a missing "=", an empty key, or a key given twice.
 */
export function parseLabelSelector(texts: readonly string[]): Record<string, string> | undefined {
  if (texts.length === 0) return undefined;
  const selector: Record<string, string> = {};
  for (const text of texts) {
    const eq = text.indexOf("=");
    if (eq <= 0) {
      throw new CoreError("invalid_argument", `query parameter "label" must be key=value, got "${text}"`);
    }
    const key = text.slice(0, eq);
    // NOTE: a selector is a map, so two values for one key could never both
    // match; refusing says so instead of returning an empty list.
    if (Object.hasOwn(selector, key)) {
      throw new CoreError("invalid_argument", `label "${key}" given more than once`);
    }
    selector[key] = text.slice(eq + 1);
  }
  return selector;
}
