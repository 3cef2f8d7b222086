/**
 * Request checks shared by the Connect services and the REST routes. They
 * throw CoreError("invalid_argument") with a message naming the field in its
 * proto spelling, so clients see `container_id is required`.
 */
import { CoreError } from "../core/core-error.js";

/** Require a non-empty id (a full id or a unique prefix). */
export function requireId(value: string, field: string): void {
  if (value === "") {
    throw new CoreError("invalid_argument", `${field} is required`);
  }
}

/** Require that a message-typed field is set. */
export function requireMessage<T>(value: T | undefined, field: string): asserts value is T {
  if (value === undefined) {
    throw new CoreError("invalid_argument", `${field} is required`);
  }
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
