/**
 * One REST route over one unary CRI method: build the request message from
 * the path, query and body, run it through the same invoker the Connect
 * services use (request checks, the intercepted core, the error table) and
 * answer with the reply's proto JSON — byte for byte what Connect JSON sends.
 */
import {
  type DescMessage,
  type DescMethodUnary,
  type Message,
  type MessageInitShape,
  type MessageShape,
  create,
  toJsonString,
} from "@bufbuild/protobuf";
import type { Request, RequestHandler, Response } from "express";
import { ImageService } from "../../../gen/runtime/v1/api_pb.js";
import type { RuntimeCore } from "../../core/runtime-core.js";
import { imageChecks } from "../../services/image-service.js";
import { runtimeChecks } from "../../services/runtime-service.js";
import { createUnaryInvoker } from "../../services/service-impl.js";
import { createRestCallContext } from "./call-context.js";
import { sendRestError, writeJson } from "./error-reply.js";
import { type RestQuery, parseRestQuery } from "./query.js";

/** How a route maps HTTP onto a unary method. */
export interface UnaryRouteSpec<I extends DescMessage, O extends DescMessage> {
  /** The CRI method, e.g. `RuntimeService.method.containerStatus`. */
  readonly method: DescMethodUnary<I, O>;
  /** Query parameters the route accepts; any other is invalid_argument. Default none. */
  readonly query?: readonly string[];
  /** Build the request from the HTTP request. Throw CoreError("invalid_argument") for bad input. */
  request(req: Request, query: RestQuery): MessageInitShape<I> | Promise<MessageInitShape<I>>;
  /** Inspect the reply before it is sent; throw a CoreError to answer with an error instead. */
  verify?(reply: MessageShape<O>, request: MessageShape<I>): void;
}

/**
 * Create the express handler for `spec`, calling `core` — which must be the
 * intercepted core, so REST calls pass the same interceptors as RPCs.
 */
export function createUnaryRoute<I extends DescMessage, O extends DescMessage>(
  core: RuntimeCore,
  spec: UnaryRouteSpec<I, O>,
): RequestHandler {
  const { method } = spec;
  const invoke = createUnaryInvoker(method, core, checkOf(method));
  const where = `${method.parent.typeName}/${method.name} (REST)`;
  return async function unaryRoute(req: Request, res: Response): Promise<void> {
    try {
      const query = parseRestQuery(req.originalUrl, spec.query ?? []);
      const request = create(method.input, await spec.request(req, query));
      const reply = (await invoke(request, createRestCallContext(req, res))) as MessageShape<O>;
      spec.verify?.(reply, request);
      writeJson(res, 200, toJsonString(method.output, reply));
    } catch (err) {
      sendRestError(req, res, err, where);
    }
  };
}

/** The service's request check for `method` (the same table Connect uses). */
function checkOf(method: DescMethodUnary): ((request: Message) => void) | undefined {
  const checks = method.parent.typeName === ImageService.typeName ? imageChecks : runtimeChecks;
  return (checks as Record<string, ((request: Message) => void) | undefined>)[method.localName];
}
