/**
 * Reads the query string of a REST request strictly: every parameter must be
 * one the route knows, single-valued ones may appear once, and flags take
 * only true/false. A typo must not silently widen a list (the Connect API
 * rejects unknown JSON fields for the same reason).
 */
import { CoreError } from "../../core/core-error.js";

/** The parsed query of one request. Every getter throws CoreError("invalid_argument"). */
export interface RestQuery {
  /** The value of a single-valued parameter; undefined when absent. Empty values are refused. */
  text(name: string): string | undefined;
  /** Every value of a repeatable parameter, in order (`label=a=1&label=b=2`). */
  all(name: string): string[];
  /** A boolean flag: `true`/`1`/bare `?name` are true, `false`/`0` false, absent is false. */
  flag(name: string): boolean;
}

/**
 * Parse the query string of `url` (a request target such as
 * `/v1/pods?state=ready`). Throws invalid_argument when it holds a parameter
 * not in `allowed`.
 */
export function parseRestQuery(url: string, allowed: readonly string[]): RestQuery {
  const at = url.indexOf("?");
  // NOTE: URLSearchParams, not express's req.query: it keeps repeated keys in
  // order whatever "query parser" the app is configured with.
  const params = new URLSearchParams(at < 0 ? "" : url.slice(at + 1));
  for (const name of params.keys()) {
    if (!allowed.includes(name)) {
      const expected = allowed.length === 0 ? "this route takes none" : `expected ${allowed.join(", ")}`;
      throw new CoreError("invalid_argument", `unknown query parameter "${name}"; ${expected}`);
    }
  }
  const text = (name: string): string | undefined => {
    const values = params.getAll(name);
    if (values.length === 0) return undefined;
    if (values.length > 1) throw new CoreError("invalid_argument", `query parameter "${name}" given more than once`);
    const value = values[0] as string;
    if (value === "") throw new CoreError("invalid_argument", `query parameter "${name}" is empty`);
    return value;
  };
  return {
    text,
    all: (name) => params.getAll(name),
    flag(name) {
      const values = params.getAll(name);
      if (values.length === 0) return false;
      if (values.length > 1) throw new CoreError("invalid_argument", `query parameter "${name}" given more than once`);
      const value = (values[0] as string).toLowerCase();
      if (value === "" || value === "true" || value === "1") return true;
      if (value === "false" || value === "0") return false;
      throw new CoreError("invalid_argument", `query parameter "${name}" must be true or false, got "${values[0]}"`);
    },
  };
}
