/**
 * Builds a thin Connect ServiceImpl over a runtime core: check the request,
 * hand it to the core with a CallContext, map failures through `errors.ts`.
 * The per-method invokers are built once, at startup (`routes.ts`), from the
 * generated descriptor and shared with the unary fast path (`src/protocol/`),
 * so both paths run the same checks and the same error table.
 */
import type { DescMethod, DescMethodUnary, DescService, Message, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { CallContext } from "../core/call-context.js";
import { CoreError } from "../core/core-error.js";
import type { BinaryForwarder, RuntimeCore } from "../core/runtime-core.js";
import { toConnectError } from "./errors.js";

/** Per-method request checks, keyed like the service's methods. */
export type RequestChecks<S extends DescService> = {
  [K in keyof S["method"]]?: (request: MessageShape<S["method"][K]["input"]>) => void;
};

/** Runs one unary RPC: checks, core call, error mapping. Rejects with a ConnectError only. */
export type UnaryInvoker = (request: Message, ctx: CallContext) => Promise<Message>;

/** Turn Connect's handler context into the protocol-neutral CallContext. */
export function toCallContext(hctx: HandlerContext): CallContext {
  const timeout = hctx.timeoutMs();
  return {
    signal: hctx.signal,
    deadline: timeout === undefined ? undefined : Date.now() + timeout,
    headers: hctx.requestHeader,
  };
}

/** Runs one unary RPC from its encoded request to its encoded reply. Rejects with a ConnectError only. */
export type EncodedInvoker = (request: Uint8Array, ctx: CallContext) => Promise<Uint8Array>;

type AnyUnary = (req: Message, ctx: CallContext) => Promise<Message>;
type AnyStream = (req: Message, ctx: CallContext) => AsyncIterable<Message>;
type AnyCheck = ((req: Message) => void) | undefined;

/** Build the invoker of a unary method of `core`. */
export function createUnaryInvoker(method: DescMethod, core: RuntimeCore, check: AnyCheck): UnaryInvoker {
  const key = method.localName;
  const where = `${method.parent.typeName}/${method.name}`;
  const target = core as unknown as Record<string, AnyUnary>;
  return async (request, ctx) => {
    try {
      check?.(request);
      return await target[key](request, ctx);
    } catch (err) {
      throw toConnectError(err, where);
    }
  };
}

/** Build the encoded invoker of a unary method over a core's forwarder (no checks: the runtime does them). */
export function createEncodedInvoker(method: DescMethod, forward: BinaryForwarder): EncodedInvoker {
  const where = `${method.parent.typeName}/${method.name}`;
  const unary = method as DescMethodUnary;
  return async (request, ctx) => {
    try {
      return await forward.unary(unary, request, ctx);
    } catch (err) {
      throw toConnectError(err, where);
    }
  };
}

/**
 * Create the Connect implementation of `service`, delegating every method to
 * `core`. Unary methods use the given invokers (keyed by local name), the
 * same ones the fast path calls.
 */
export function createServiceImpl<S extends DescService>(
  service: S,
  core: RuntimeCore,
  checks: RequestChecks<S>,
  invokers: ReadonlyMap<string, UnaryInvoker>,
  streamShutdown?: AbortSignal,
): ServiceImpl<S> {
  const impl: Record<string, unknown> = {};
  const table = checks as Record<string, AnyCheck>;
  for (const method of service.methods) {
    if (method.methodKind === "server_streaming") {
      impl[method.localName] = streamHandler(method, core, table[method.localName], streamShutdown);
    } else {
      const invoke = invokers.get(method.localName);
      if (invoke === undefined) throw new Error(`no invoker for ${method.name}`);
      impl[method.localName] = (request: Message, hctx: HandlerContext) => invoke(request, toCallContext(hctx));
    }
  }
  return impl as ServiceImpl<S>;
}

function streamHandler(method: DescMethod, core: RuntimeCore, check: AnyCheck, shutdown: AbortSignal | undefined) {
  const target = core as unknown as Record<string, AnyStream>;
  const serve = target[method.localName] as AnyStream;
  return createStreamHandler(method, (request, ctx) => serve.call(core, request, ctx), check, shutdown);
}

/**
 * The Connect handler of a server-streaming method served by `serve`: the
 * request check, the CallContext, the end of the stream at gateway shutdown
 * or client cancel (said to the client, not left to look complete) and the
 * error table. The CRI services and the gateway's own LogService use it.
 */
export function createStreamHandler(
  method: DescMethod,
  serve: AnyStream,
  check: AnyCheck,
  shutdown: AbortSignal | undefined,
): (request: Message, hctx: HandlerContext) => AsyncIterable<Message> {
  const where = `${method.parent.typeName}/${method.name}`;
  return async function* (request: Message, hctx: HandlerContext): AsyncIterable<Message> {
    try {
      check?.(request);
      const ctx = toCallContext(hctx);
      // Streams such as GetContainerEvents never end by themselves; the
      // gateway ends them at shutdown while unary calls are left to finish.
      // NOTE: not AbortSignal.any(): on Node 20 it retains every combined
      // signal until the shutdown signal is collected.
      const controller = new AbortController();
      const abort = () => controller.abort(hctx.signal.aborted ? hctx.signal.reason : shutdown?.reason);
      hctx.signal.addEventListener("abort", abort, { once: true });
      shutdown?.addEventListener("abort", abort, { once: true });
      try {
        yield* serve(request, { ...ctx, signal: controller.signal });
      } finally {
        hctx.signal.removeEventListener("abort", abort);
        shutdown?.removeEventListener("abort", abort);
      }
      // Cores end their streams quietly when the signal aborts; the client
      // must still learn why, or a list cut short by its deadline would look
      // complete.
      if (shutdown?.aborted === true) {
        throw new CoreError("unavailable", "gateway is shutting down");
      }
      if (hctx.signal.aborted) {
        throw ConnectError.from(hctx.signal.reason, Code.Canceled);
      }
    } catch (err) {
      throw toConnectError(err, where);
    }
  };
}
