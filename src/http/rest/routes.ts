/**
 * The REST API (`/v1/...`): serves exactly the routes of the route table
 * (`route-table.ts`), the one description the OpenAPI document is generated
 * from too. `cri` routes answer with the same JSON message the Connect API
 * returns for their method and fail with the same error body and status;
 * `handler` routes are served by the handlers given here. Ids may be unique
 * prefixes (the core resolves them).
 */
import type { DescMethod, DescMethodUnary } from "@bufbuild/protobuf";
import { type Request, type Response, Router } from "express";
import { ImageService, RuntimeService } from "../../../gen/runtime/v1/api_pb.js";
import type { RuntimeCore } from "../../core/runtime-core.js";
import { sendRestError } from "./error-reply.js";
import { defaultMaxBodyBytes } from "./json-body.js";
import { type RestParams, parseRouteParams } from "./route-params.js";
import { type RestRouteSpec, type RestTarget, toExpressPath } from "./route-spec.js";
import { restRouteTable } from "./route-table.js";
import { createUnaryRoute } from "./unary-route.js";

/**
 * A gateway handler behind a `handler` route. It gets the parameters the
 * table declares, already parsed and checked, and writes the whole response
 * (errors included, e.g. with `sendRestError`).
 */
export type RestHandler = (req: Request, res: Response, params: RestParams) => void | Promise<void>;

/** Options for {@link createRestRouter}. */
export interface RestRouterOptions {
  /** The intercepted core (never the raw one: REST calls must pass the interceptors). */
  readonly core: RuntimeCore;
  /** Largest accepted request body (exec-sync). Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** The handler of every `handler` route, by its name in the table (e.g. `containerEvents`). */
  readonly handlers?: Readonly<Record<string, RestHandler>>;
  /** The routes to serve. Default: the route table; tests pass their own. */
  readonly table?: readonly RestRouteSpec[];
}

/**
 * Build the router serving every route of the table. Unknown query
 * parameters and bad values are invalid_argument (HTTP 400). Throws at
 * creation when a `cri` route names no unary CRI method, when a `handler`
 * route has no handler or a handler no route, or when a GET route is not
 * read-only.
 */
export function createRestRouter({
  core,
  maxBodyBytes = defaultMaxBodyBytes,
  handlers = {},
  table = restRouteTable,
}: RestRouterOptions): Router {
  const router = Router();
  const used = new Set<string>();
  for (const route of table) {
    if (route.method === "get" && !route.readOnly) {
      throw new Error(`REST route ${route.operationId}: GET must be read-only (a browser may send it cross-site)`);
    }
    const path = toExpressPath(route);
    const { target } = route;
    if (target.kind === "cri") {
      router[route.method](path, createUnaryRoute(core, { route, method: criMethod(route.operationId, target), maxBodyBytes }));
      continue;
    }
    const handler = handlers[target.name];
    if (handler === undefined) throw new Error(`REST route ${route.operationId}: no handler "${target.name}"`);
    used.add(target.name);
    const where = `${route.method.toUpperCase()} ${route.path} (REST)`;
    router[route.method](path, async function handlerRoute(req: Request, res: Response): Promise<void> {
      let params: RestParams;
      try {
        params = parseRouteParams(route, req);
      } catch (err) {
        sendRestError(req, res, err, where);
        return;
      }
      await handler(req, res, params);
    });
  }
  const unused = Object.keys(handlers).filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`REST handlers without a route in the table: ${unused.join(", ")}`);
  return router;
}

/** The unary method a `cri` target names. */
function criMethod(operationId: string, target: Extract<RestTarget, { kind: "cri" }>): DescMethodUnary {
  const service = target.service === "ImageService" ? ImageService : RuntimeService;
  const method = service.methods.find(
    (m: DescMethod): m is DescMethodUnary => m.name === target.method && m.methodKind === "unary",
  );
  if (method === undefined) {
    throw new Error(`REST route ${operationId}: ${target.service}/${target.method} is not a unary CRI method`);
  }
  return method;
}
