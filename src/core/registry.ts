/**
 * Chooses a runtime core by name (`memory`, `remote`) or loads one from a
 * module path. This is the only module-level mutable state in the gateway:
 * the table of built-in core factories.
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ImageService, RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import { CoreError } from "./core-error.js";
import type { RuntimeCore } from "./runtime-core.js";

/** What every core factory receives from the gateway. */
export interface CoreOptions {
  /**
   * Base URL of the gateway itself (e.g. `http://127.0.0.1:9090`), for URLs a
   * core hands out such as Exec/Attach/PortForward. A function because the
   * port is known only once the listeners are up. Empty when the gateway has
   * no TCP listener (`--listen none`): there is no URL to hand out then.
   */
  readonly gatewayUrl: () => string;
  /** Largest message the gateway accepts or sends, in bytes. */
  readonly maxMessageBytes: number;
  /** Free-form `key=value` settings from `--core-opt`, for third-party cores. */
  readonly settings: Readonly<Record<string, string>>;
  /**
   * How long an Exec/Attach/PortForward URL handed out stays valid, in ms
   * (`--stream-token-ttl-ms`). A core that serves streaming itself should
   * honour it; undefined means the core's own default (60 s for ours).
   */
  readonly streamTokenTtlMs?: number;
}

/** Builds a core. Third-party modules export one named `createRuntimeCore`. */
export type CoreFactory = (options: CoreOptions) => RuntimeCore | Promise<RuntimeCore>;

const builtins = new Map<string, () => Promise<CoreFactory>>([
  ["memory", async () => (await import("../runtimes/memory/index.js")).createMemoryRuntime],
  ["remote", async () => (await import("../runtimes/remote/index.js")).createRemoteRuntime],
]);

/** Add or replace a built-in core name (used by later issues, e.g. `remote`). */
export function registerCore(name: string, load: () => Promise<CoreFactory>): void {
  builtins.set(name, load);
}

/** Names accepted by `--runtime` besides module paths. */
export function builtinCoreNames(): string[] {
  return [...builtins.keys()];
}

/**
 * Create the core named by `spec`: a built-in name, or a path to an ES module
 * (`./my-core.js`, `/opt/core.mjs`) exporting `createRuntimeCore`. Methods a
 * module core leaves out answer `unimplemented` instead of crashing.
 *
 * Throws CoreError("invalid_argument") for an unknown name or a module that
 * does not export a factory.
 */
export async function loadCore(spec: string, options: CoreOptions): Promise<RuntimeCore> {
  const builtin = builtins.get(spec);
  if (builtin !== undefined) {
    return (await builtin())(options);
  }
  if (!looksLikePath(spec)) {
    throw new CoreError(
      "invalid_argument",
      `unknown runtime "${spec}": use one of ${builtinCoreNames().join(", ")} or a module path`,
    );
  }
  const url = pathToFileURL(isAbsolute(spec) ? spec : resolve(spec)).href;
  const mod: unknown = await import(url);
  const factory = (mod as { createRuntimeCore?: unknown }).createRuntimeCore;
  if (typeof factory !== "function") {
    throw new CoreError("invalid_argument", `runtime module "${spec}" does not export createRuntimeCore`);
  }
  const core = (await (factory as CoreFactory)(options)) as Partial<RuntimeCore>;
  return completeCore(core, spec);
}

function looksLikePath(spec: string): boolean {
  return spec.includes("/") || spec.includes("\\") || /\.[cm]?[jt]s$/.test(spec);
}

/** Fill the gaps of a partial core so every RPC has an answer. */
function completeCore(core: Partial<RuntimeCore>, spec: string): RuntimeCore {
  const filled: Record<string, unknown> = { ...core };
  for (const method of [...RuntimeService.methods, ...ImageService.methods]) {
    if (typeof filled[method.localName] === "function") continue;
    const fail = () => {
      throw new CoreError("unimplemented", `runtime "${spec}" does not implement ${method.name}`);
    };
    filled[method.localName] =
      method.methodKind === "server_streaming"
        ? async function* () {
            fail();
          }
        : async () => fail();
  }
  filled.name ??= spec;
  filled.health ??= async () => ({ ready: true });
  filled.close ??= async () => {};
  return filled as unknown as RuntimeCore;
}
