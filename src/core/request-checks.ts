/**
 * Request checks shared by every layer that checks a CRI request: the
 * Connect services and REST routes in front of a core, and the memory
 * runtime itself (a core can be called without the services, in tests or
 * embedded). They throw CoreError("invalid_argument") with a message naming
 * the field in its proto spelling: `container_id is required`.
 */
import { CoreError } from "./core-error.js";

/** Require a non-empty string, such as an id (full or a unique prefix) or a name; returns it. */
export function requireId(value: string | undefined, field: string): string {
  if (value === undefined || value === "") {
    throw new CoreError("invalid_argument", `${field} is required`);
  }
  return value;
}

/** Require that a message-typed field is set. */
export function requireMessage<T>(value: T | undefined, field: string): asserts value is T {
  if (value === undefined) {
    throw new CoreError("invalid_argument", `${field} is required`);
  }
}

/** Like {@link requireMessage}, returning the value. */
export function requireSet<T>(value: T | undefined, field: string): T {
  requireMessage(value, field);
  return value;
}

/** Require a non-empty repeated field, such as a command line. */
export function requireNonEmpty(value: readonly unknown[], field: string): void {
  if (value.length === 0) {
    throw new CoreError("invalid_argument", `${field} must not be empty`);
  }
}

/** Require a non-negative number, such as a timeout in seconds. */
export function requireNonNegative(value: bigint | number, field: string): void {
  if (value < 0) {
    throw new CoreError("invalid_argument", `${field} must not be negative`);
  }
}
