/**
 * Builds a thin Connect ServiceImpl over a runtime core: check the request,
 * hand it to the core with a CallContext, map failures through `errors.ts`.
 * The methods are built once, at startup, from the generated descriptor; no
 * reflection happens per request.
 */
import type { DescMethod, DescService, Message, MessageShape } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { CallContext } from "../core/call-context.js";
import { CoreError } from "../core/core-error.js";
import type { RuntimeCore } from "../core/runtime-core.js";
import { toConnectError } from "./errors.js";

/** Per-method request checks, keyed like the service's methods. */
export type RequestChecks<S extends DescService> = {
  [K in keyof S["method"]]?: (request: MessageShape<S["method"][K]["input"]>) => void;
};

/** Turn Connect's handler context into the protocol-neutral CallContext. */
export function toCallContext(hctx: HandlerContext): CallContext {
  const timeout = hctx.timeoutMs();
  return {
    signal: hctx.signal,
    deadline: timeout === undefined ? undefined : Date.now() + timeout,
    headers: hctx.requestHeader,
  };
}

type AnyUnary = (req: Message, ctx: CallContext) => Promise<Message>;
type AnyStream = (req: Message, ctx: CallContext) => AsyncIterable<Message>;

/** Create the Connect implementation of `service`, delegating every method to `core`. */
export function createServiceImpl<S extends DescService>(
  service: S,
  core: RuntimeCore,
  checks: RequestChecks<S>,
  streamShutdown?: AbortSignal,
): ServiceImpl<S> {
  const impl: Record<string, unknown> = {};
  const table = checks as Record<string, ((req: Message) => void) | undefined>;
  for (const method of service.methods) {
    impl[method.localName] =
      method.methodKind === "server_streaming"
        ? streamHandler(method, core, table[method.localName], streamShutdown)
        : unaryHandler(method, core, table[method.localName]);
  }
  return impl as ServiceImpl<S>;
}

function unaryHandler(method: DescMethod, core: RuntimeCore, check?: (req: Message) => void) {
  const key = method.localName;
  const where = `${method.parent.typeName}/${method.name}`;
  const target = core as unknown as Record<string, AnyUnary>;
  return async (request: Message, hctx: HandlerContext): Promise<Message> => {
    try {
      check?.(request);
      return await target[key](request, toCallContext(hctx));
    } catch (err) {
      throw toConnectError(err, where);
    }
  };
}

function streamHandler(
  method: DescMethod,
  core: RuntimeCore,
  check: ((req: Message) => void) | undefined,
  shutdown: AbortSignal | undefined,
) {
  const key = method.localName;
  const where = `${method.parent.typeName}/${method.name}`;
  const target = core as unknown as Record<string, AnyStream>;
  return async function* (request: Message, hctx: HandlerContext): AsyncIterable<Message> {
    try {
      check?.(request);
      const ctx = toCallContext(hctx);
      // Streams such as GetContainerEvents never end by themselves; the
      // gateway ends them at shutdown while unary calls are left to finish.
      const signal = shutdown === undefined ? ctx.signal : AbortSignal.any([ctx.signal, shutdown]);
      yield* target[key](request, { ...ctx, signal });
      if (shutdown?.aborted === true) {
        // Tell the client why its stream ended so it can resubscribe elsewhere.
        throw new CoreError("unavailable", "gateway is shutting down");
      }
    } catch (err) {
      throw toConnectError(err, where);
    }
  };
}
