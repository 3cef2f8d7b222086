/**
 * Injected failures, borrowed from the kubelet fake's injected errors: a
 * method with a fault throws it (unary) or fails its stream on first read,
 * before touching any state. Methods without a fault are not wrapped at all.
 */
import { CoreError } from "../../core/core-error.js";
import type { RuntimeCore } from "../../core/runtime-core.js";
import type { Fault, MethodName } from "./options.js";

type AnyMethod = (request: unknown, ctx: unknown) => unknown;

/** The error `fault` calls for now, if any. */
function errorOf(fault: Fault): CoreError | undefined {
  return fault instanceof CoreError ? fault : fault();
}

/**
 * Wrap the methods named in `faults`. `streaming` tells which of them return
 * streams; their failing stream throws on first read, like a real stream
 * whose call fails.
 */
export function withFaults<T extends RuntimeCore>(
  core: T,
  faults: Partial<Record<MethodName, Fault>>,
  streaming: ReadonlySet<string>,
): T {
  const entries = Object.entries(faults) as [MethodName, Fault][];
  if (entries.length === 0) return core;
  const target = core as unknown as Record<string, AnyMethod>;
  const wrapped: Record<string, AnyMethod> = {};
  for (const [name, fault] of entries) {
    const inner = target[name] as AnyMethod;
    wrapped[name] = streaming.has(name)
      ? (request, ctx) => {
          const err = errorOf(fault);
          if (err === undefined) return inner(request, ctx);
          return {
            [Symbol.asyncIterator]: () => ({
              next: () => Promise.reject(err),
            }),
          };
        }
      : async (request, ctx) => {
          const err = errorOf(fault);
          if (err !== undefined) throw err;
          return await inner(request, ctx);
        };
  }
  return { ...core, ...wrapped } as T;
}
