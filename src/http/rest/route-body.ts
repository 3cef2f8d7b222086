/**
 * Checks a parsed JSON request body against the fields a route-table entry
 * declares (`RestBody`) and turns it into proto JSON for the request
 * message. Unknown fields are refused, as the Connect API refuses them.
 */
import { CoreError } from "../../core/core-error.js";
import type { RestBody, RestBodyField } from "./route-spec.js";

/**
 * Check `json` against `body` and return the fields to merge into the
 * request, int64 values as decimal strings. Throws invalid_argument for a
 * non-object, an unknown field or a value of the wrong type. A missing
 * field is left out; the CRI request check says when it was required.
 */
export function parseRouteBody(body: RestBody, json: unknown): Record<string, unknown> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new CoreError("invalid_argument", `request body must be a JSON object like ${JSON.stringify(body.example)}`);
  }
  const given = json as Record<string, unknown>;
  const names = body.fields.map((f) => f.name);
  for (const key of Object.keys(given)) {
    if (!names.includes(key)) throw new CoreError("invalid_argument", `unknown field "${key}"; expected ${names.join(", ")}`);
  }
  const out: Record<string, unknown> = {};
  for (const field of body.fields) {
    const value = given[field.name];
    if (value === undefined || value === null) continue;
    out[field.name] = parseField(field, value);
  }
  return out;
}

function parseField(field: RestBodyField, value: unknown): unknown {
  switch (field.type) {
    case "string[]":
      if (!Array.isArray(value) || !value.every((v): v is string => typeof v === "string")) {
        throw new CoreError("invalid_argument", `${field.name} must be an array of strings`);
      }
      return value;
    case "int64":
      // Proto JSON spells int64 as a string; people type numbers.
      if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return String(value);
      if (typeof value === "string" && /^\d{1,18}$/.test(value)) return value;
      throw new CoreError(
        "invalid_argument",
        `${field.name} must be a whole number${field.unit === undefined ? "" : ` of ${field.unit}`}, got ${JSON.stringify(value)}`,
      );
  }
}
