/**
 * The gateway's single interception point. Interceptors wrap the runtime core
 * itself, so every caller of the core — gRPC, gRPC-Web, Connect, either
 * transport, and the REST routes — passes through the same chain. This is
 * where authentication, per-method roles, audit, limits and metrics attach.
 *
 * The chain is composed once at startup; with no interceptors the core is
 * returned untouched, so an unused feature costs nothing per call.
 */
import type { DescMethod, DescService, Message } from "@bufbuild/protobuf";
import { ImageService, RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import type { CallContext } from "./call-context.js";
import type { RuntimeCore } from "./runtime-core.js";

/** One call on its way to the core. */
export interface CoreCall {
  readonly service: DescService;
  readonly method: DescMethod;
  readonly request: Message;
  readonly ctx: CallContext;
}

/** Continue a unary call down the chain. */
export type UnaryNext = (call: CoreCall) => Promise<Message>;
/** Continue a server-streaming call down the chain. */
export type StreamNext = (call: CoreCall) => AsyncIterable<Message>;

/**
 * Wraps calls. Either hook may be left out; a hook must call `next` to let
 * the call through, or throw a CoreError to refuse it.
 */
export interface CoreInterceptor {
  unary?(call: CoreCall, next: UnaryNext): Promise<Message>;
  stream?(call: CoreCall, next: StreamNext): AsyncIterable<Message>;
}

/** Return a core whose every method runs through `interceptors` (outermost first). */
export function interceptCore(core: RuntimeCore, interceptors: readonly CoreInterceptor[]): RuntimeCore {
  if (interceptors.length === 0) return core;
  const wrapped: Record<string, unknown> = {
    name: core.name,
    health: () => core.health(),
    close: () => core.close(),
    // Streaming sessions were authorized by the Exec/Attach/PortForward call
    // that created their token, which went through the chain.
    streaming: core.streaming,
    checksRequests: core.checksRequests,
    // No `forward`: interceptors must see every call decoded.
  };
  const target = core as unknown as Record<string, (req: Message, ctx: CallContext) => unknown>;
  for (const service of [RuntimeService, ImageService] as DescService[]) {
    for (const method of service.methods) {
      const key = method.localName;
      if (method.methodKind === "server_streaming") {
        const call = (request: Message, ctx: CallContext) => target[key](request, ctx) as AsyncIterable<Message>;
        wrapped[key] = interceptStream(service, method, call, interceptors);
      } else {
        // async, so an interceptor that throws synchronously still yields a rejection.
        let next: UnaryNext = (call) => target[key](call.request, call.ctx) as Promise<Message>;
        for (const i of [...interceptors].reverse()) {
          if (i.unary === undefined) continue;
          const inner = next;
          const hook = i.unary.bind(i);
          next = (call) => hook(call, inner);
        }
        wrapped[key] = async (request: Message, ctx: CallContext) => next({ service, method, request, ctx });
      }
    }
  }
  return wrapped as unknown as RuntimeCore;
}

/**
 * Run one server-streaming method that is not part of the core (the
 * gateway's own services, such as LogService) through `interceptors`, so
 * the same hooks see it as every CRI call. Returns `call` itself when there
 * are none.
 */
export function interceptStream(
  service: DescService,
  method: DescMethod,
  call: (request: Message, ctx: CallContext) => AsyncIterable<Message>,
  interceptors: readonly CoreInterceptor[],
): (request: Message, ctx: CallContext) => AsyncIterable<Message> {
  let next: StreamNext = (c) => call(c.request, c.ctx);
  for (const i of [...interceptors].reverse()) {
    if (i.stream === undefined) continue;
    const inner = next;
    const hook = i.stream.bind(i);
    next = (c) => hook(c, inner);
  }
  return (request, ctx) => next({ service, method, request, ctx });
}
