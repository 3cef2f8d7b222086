/**
 * The one error type runtime cores throw. Cores say *what* went wrong with a
 * kind; `src/services/errors.ts` alone decides which Connect code that is.
 */

/** Why a core call failed. See the table in `src/services/errors.ts`. */
export type CoreErrorKind =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "deadline_exceeded"
  | "unavailable"
  | "unimplemented"
  | "resource_exhausted"
  | "internal";

/**
 * A failure a runtime core reports on purpose. The message is shown to the
 * client as is, so it must be lower case, quote ids in their proto spelling
 * and never contain secrets: `container "3f2a9c" not found`.
 */
export class CoreError extends Error {
  override readonly name = "CoreError";

  constructor(
    readonly kind: CoreErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `err` is a CoreError, optionally of the given kind. */
export function isCoreError(err: unknown, kind?: CoreErrorKind): err is CoreError {
  return err instanceof CoreError && (kind === undefined || err.kind === kind);
}
