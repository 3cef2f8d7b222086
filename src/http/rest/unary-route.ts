/**
 * One REST route over one unary CRI method, as its route-table entry
 * describes it: build the request message from the path, query and body,
 * run it through the same invoker the Connect services use (request checks,
 * the intercepted core, the error table) and answer with the reply's proto
 * JSON — byte for byte what Connect JSON sends.
 */
import { type DescMethodUnary, type Message, fromJson, toJsonString } from "@bufbuild/protobuf";
import type { Request, RequestHandler, Response } from "express";
import { ImageService } from "../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../core/core-error.js";
import type { RuntimeCore } from "../../core/runtime-core.js";
import { imageChecks } from "../../services/image-service.js";
import { runtimeChecks } from "../../services/runtime-service.js";
import { createUnaryInvoker } from "../../services/service-impl.js";
import { createRestCallContext } from "./call-context.js";
import { sendRestError, writeJson } from "./error-reply.js";
import { readJsonBody } from "./json-body.js";
import { parseRouteBody } from "./route-body.js";
import { parseRouteParams, toRequestJson } from "./route-params.js";
import type { RestRouteSpec } from "./route-spec.js";

/** What {@link createUnaryRoute} serves. */
export interface UnaryRouteOptions {
  /** The table entry (its target must be this method). */
  readonly route: RestRouteSpec;
  /** The CRI method it names, e.g. `RuntimeService.method.containerStatus`. */
  readonly method: DescMethodUnary;
  /** Largest accepted request body, for routes with a body. */
  readonly maxBodyBytes: number;
}

/**
 * Create the express handler for one route, calling `core` — which must be
 * the intercepted core, so REST calls pass the same interceptors as RPCs.
 */
export function createUnaryRoute(core: RuntimeCore, { route, method, maxBodyBytes }: UnaryRouteOptions): RequestHandler {
  const invoke = createUnaryInvoker(method, core, checkOf(method));
  const where = `${method.parent.typeName}/${method.name} (REST)`;
  return async function unaryRoute(req: Request, res: Response): Promise<void> {
    try {
      const params = parseRouteParams(route, req);
      const body = route.body === undefined ? {} : parseRouteBody(route.body, await readJsonBody(req, maxBodyBytes));
      const request = fromJson(method.input, toRequestJson(route, params, body) as Parameters<typeof fromJson>[1]);
      const reply = (await invoke(request, createRestCallContext(req, res))) as Message;
      const absent = route.notFoundWhenAbsent;
      if (absent !== undefined && (reply as unknown as Record<string, unknown>)[absent.field] === undefined) {
        const named = route.params.find((p) => p.in === "path");
        const value = named === undefined ? "" : String(params[named.name] ?? "");
        throw new CoreError("not_found", `${absent.noun} "${value}" not found`);
      }
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
