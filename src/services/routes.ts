/**
 * Registers both CRI services (and the gateway's own LogService, when
 * given) on a Connect router, and exposes the unary invokers for the
 * Connect fast path. Every protocol Connect speaks (gRPC, gRPC-Web, Connect
 * JSON and binary) is served from these.
 */
import type { DescMethod, DescService, Message } from "@bufbuild/protobuf";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { LogService } from "../../gen/crigateway/v1/logs_pb.js";
import { ImageService, RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import type { CallContext } from "../core/call-context.js";
import type { RuntimeCore } from "../core/runtime-core.js";
import { imageChecks } from "./image-service.js";
import { runtimeChecks } from "./runtime-service.js";
import {
  type EncodedInvoker,
  type UnaryInvoker,
  createEncodedInvoker,
  createServiceImpl,
  createStreamHandler,
  createUnaryInvoker,
} from "./service-impl.js";

/** A unary method and the function that serves it. */
export interface UnaryRoute {
  readonly method: DescMethod;
  readonly invoke: UnaryInvoker;
  /**
   * Serves the call from its encoded request, when the core relays binary
   * calls (RuntimeCore.forward); binary protocols use it instead of `invoke`.
   */
  readonly forward?: EncodedInvoker;
}

/** What {@link createRoutes} returns. */
export interface Routes {
  /** The `routes` callback for `connectNodeAdapter`. */
  readonly register: (router: ConnectRouter) => void;
  /** Unary methods by request path (`/runtime.v1.RuntimeService/Version`). */
  readonly unary: ReadonlyMap<string, UnaryRoute>;
}

/** The gateway's own services, each method already through the interceptors. */
export interface GatewayServices {
  /** crigateway.v1.LogService/ReadLogs (see src/logs). */
  readonly readLogs?: (request: Message, ctx: CallContext) => AsyncIterable<Message>;
}

/**
 * Build the routes serving `core` and `services`. Aborting `streamShutdown`
 * ends every open server stream.
 */
export function createRoutes(core: RuntimeCore, streamShutdown?: AbortSignal, services: GatewayServices = {}): Routes {
  const unary = new Map<string, UnaryRoute>();
  // A core in front of another runtime leaves checking to that runtime, so
  // its answers are the runtime's own on every protocol.
  const relays = core.checksRequests === true;
  const invokersOf = (service: DescService, checks: Record<string, unknown>) => {
    const invokers = new Map<string, UnaryInvoker>();
    for (const method of service.methods) {
      if (method.methodKind !== "unary") continue;
      const check = checks[method.localName] as ((r: Message) => void) | undefined;
      const invoke = createUnaryInvoker(method, core, check);
      invokers.set(method.localName, invoke);
      const forward = core.forward === undefined ? undefined : createEncodedInvoker(method, core.forward);
      unary.set(`/${service.typeName}/${method.name}`, { method, invoke, forward });
    }
    return invokers;
  };
  const runtimeRules = relays ? {} : runtimeChecks;
  const imageRules = relays ? {} : imageChecks;
  const runtimeInvokers = invokersOf(RuntimeService, runtimeRules);
  const imageInvokers = invokersOf(ImageService, imageRules);
  const runtime = createServiceImpl(RuntimeService, core, runtimeRules, runtimeInvokers, streamShutdown);
  const image = createServiceImpl(ImageService, core, imageRules, imageInvokers, streamShutdown);
  const readLogs = services.readLogs;
  const logs =
    readLogs === undefined
      ? undefined
      : ({
          readLogs: createStreamHandler(LogService.method.readLogs, readLogs, undefined, streamShutdown),
        } as unknown as ServiceImpl<typeof LogService>);
  return {
    register: (router) => {
      router.service(RuntimeService, runtime);
      router.service(ImageService, image);
      if (logs !== undefined) router.service(LogService, logs);
    },
    unary,
  };
}
