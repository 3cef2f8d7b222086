/**
 * The body of `POST /v1/containers/{id}/exec-sync`: `{"cmd": [...],
 * "timeout": 5}`. The container id comes from the path; the reply is the
 * ExecSyncResponse JSON (stdout/stderr base64, as in proto JSON).
 */
import { CoreError } from "../../core/core-error.js";

/** What an exec-sync body carries. */
export interface ExecSyncBody {
  readonly cmd: string[];
  /** Seconds; 0 (the default) means no timeout, as in CRI. */
  readonly timeout: bigint;
}

const fields = new Set(["cmd", "timeout"]);

/**
 * Check a parsed exec-sync body. `timeout` may be a number or a decimal
 * string (proto JSON spells int64 as a string; people type numbers). Throws
 * invalid_argument for anything else, including unknown fields. An empty
 * `cmd` is left to the service's own check (`cmd must not be empty`).
 */
export function parseExecSyncBody(json: unknown): ExecSyncBody {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new CoreError("invalid_argument", 'request body must be a JSON object like {"cmd": ["echo", "hi"]}');
  }
  const body = json as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!fields.has(key)) throw new CoreError("invalid_argument", `unknown field "${key}"; expected cmd, timeout`);
  }
  const cmd = body.cmd ?? [];
  if (!Array.isArray(cmd) || !cmd.every((arg): arg is string => typeof arg === "string")) {
    throw new CoreError("invalid_argument", "cmd must be an array of strings");
  }
  return { cmd, timeout: parseTimeout(body.timeout) };
}

function parseTimeout(value: unknown): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string" && /^\d{1,18}$/.test(value)) return BigInt(value);
  throw new CoreError("invalid_argument", `timeout must be a whole number of seconds, got ${JSON.stringify(value)}`);
}
