/**
 * Reserves unique names for ids, like containerd's registrar: a verb reserves
 * the name first, then creates the entity, and releases the name if a later
 * step fails, so two concurrent creates can never both win.
 */
import { CoreError } from "../../../core/core-error.js";

/** Name → id reservations for one kind of entity. */
export interface NameRegistry {
  /**
   * Reserve `name` for `id`. Reserving the same pair again is a no-op.
   * Throws CoreError("already_exists") when the name is held by another id.
   */
  reserve(name: string, id: string): void;
  /** Drop the reservation of `name`; unknown names are ignored. */
  release(name: string): void;
  /** The id holding `name`, if any. */
  get(name: string): string | undefined;
}

/** Create an empty registry; `noun` names the entity in error messages. */
export function createNameRegistry({ noun }: { noun: string }): NameRegistry {
  const ids = new Map<string, string>();
  return {
    reserve(name, id) {
      const holder = ids.get(name);
      if (holder === undefined) {
        ids.set(name, id);
        return;
      }
      if (holder !== id) {
        throw new CoreError("already_exists", `${noun} name "${name}" is reserved for "${holder}"`);
      }
    },
    release(name) {
      ids.delete(name);
    },
    get: (name) => ids.get(name),
  };
}
