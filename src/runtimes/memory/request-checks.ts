/**
 * The few request checks the memory runtime repeats itself, because a core
 * can be called without the Connect services in front (tests, embedding,
 * REST). Messages name the field in its proto spelling.
 */
import { CoreError } from "../../core/core-error.js";

/** Require a message-typed field. Throws invalid_argument `config is required`. */
export function requireSet<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new CoreError("invalid_argument", `${field} is required`);
  return value;
}

/** Require a non-empty string field. */
export function requireText(value: string | undefined, field: string): string {
  if (value === undefined || value === "") throw new CoreError("invalid_argument", `${field} is required`);
  return value;
}
