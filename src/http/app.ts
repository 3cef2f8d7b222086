/**
 * The express routes behind every request that is not an RPC: health and
 * readiness, the REST-style read API (`/v1/...`) and its Server-Sent Events
 * stream (`/v1/events`), the OpenAPI document and its docs page. Unknown
 * paths get the Connect error body with `not_found`, so HTTP clients see one
 * error shape everywhere. Served over HTTP/1.1 and HTTP/2 alike.
 */
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { RuntimeCore } from "../core/runtime-core.js";
import { log } from "../observability/logger.js";
import { type DualHandler, createDualProtocolApp } from "./http2-express.js";
import { createOpenApiRouter } from "./openapi-docs.js";
import { CoreError } from "../core/core-error.js";
import { createRestRouter } from "./rest/index.js";
import { sendRestError } from "./rest/error-reply.js";
import { type ReadLogs, createLogsRoute } from "./rest/logs-route.js";
import type { RestHandler } from "./rest/routes.js";
import { createSseEventsHandler } from "./sse-events.js";

/** Options for {@link createHttpApp}. */
export interface HttpAppOptions {
  /**
   * The intercepted core (what `interceptCore` returned, never the raw one):
   * /readyz asks it for health, and the REST and SSE routes call it, so they
   * pass the same interceptors as every RPC.
   */
  core: RuntimeCore;
  /** Version string reported by /healthz. */
  version: string;
  /** Aborting it ends every open `/v1/events` stream (gateway shutdown). Default: never. */
  shutdownSignal?: AbortSignal;
  /** Heartbeat interval of `/v1/events` in ms. Default 15 s. */
  sseHeartbeatMs?: number;
  /** Largest REST request body (exec-sync) in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** LogService's ReadLogs (through the interceptors), served at `/v1/containers/{id}/logs`. */
  readLogs?: ReadLogs;
}

/**
 * Build the handler for non-RPC routes; use it as connectNodeAdapter's
 * fallback. Throws when an option is invalid (e.g. a non-positive heartbeat).
 */
export function createHttpApp(options: HttpAppOptions): DualHandler {
  return createDualProtocolApp(createHttpRouter(options), (app) => {
    app.disable("x-powered-by");
    app.set("etag", false);
  });
}

/**
 * The express router behind {@link createHttpApp}, for tests that read
 * which routes it serves. Throws like createHttpApp.
 */
export function createHttpRouter({ core, version, shutdownSignal, sseHeartbeatMs, maxBodyBytes, readLogs }: HttpAppOptions): Router {
  const router = express.Router();

  // Liveness: the process is up and serving HTTP. Never touches the core.
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok", version });
  });

  // Readiness: the runtime core can serve calls (a remote core reports its upstream).
  router.get("/readyz", async (_req, res) => {
    const health = await core.health().catch((err: unknown) => {
      // The cause may name paths or hosts: log it, tell the client only "not ready".
      log.warn("readiness check failed", { error: err instanceof Error ? err.message : String(err) });
      return { ready: false, message: undefined };
    });
    res.status(health.ready ? 200 : 503).json({
      status: health.ready ? "ready" : "not ready",
      runtime: core.name,
      ...(health.message === undefined ? {} : { message: health.message }),
    });
  });

  router.use(createOpenApiRouter());

  const containerEvents = createSseEventsHandler({ core, heartbeatMs: sseHeartbeatMs, shutdownSignal });
  const logs = readLogs === undefined ? undefined : createLogsRoute({ readLogs });
  const containerLogs: RestHandler = (req, res) => {
    if (logs !== undefined) {
      void logs(req, res, () => {});
      return;
    }
    const err = new CoreError("unimplemented", "container logs are not served by this gateway");
    sendRestError(req, res, err, "GET /v1/containers/{id}/logs (REST)");
  };
  router.use(createRestRouter({ core, maxBodyBytes, handlers: { containerEvents, containerLogs } }));
  // Streaming URLs are served on HTTP/1.1 upgrades (src/streaming); a plain
  // request, or one over HTTP/2, lands here and must not use up the token.
  router.all("/stream/{*rest}", (req: Request, res: Response) => {
    res.status(400).json({
      code: "invalid_argument",
      message: `${req.path} is a streaming URL: connect with an HTTP/1.1 upgrade to websocket (v5.channel.k8s.io or v4.channel.k8s.io) or SPDY/3.1`,
    });
  });

  router.use((req: Request, res: Response) => {
    res.status(404).json({ code: "not_found", message: `no route for ${req.method} ${req.path}` });
  });

  // Express 5 sends rejected promises and its own failures here. A request
  // it could not route (a malformed %-escape in the path) is the client's
  // fault; anything else is ours, and internals are never echoed.
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (isBadRequest(err)) {
      res.status(400).json({ code: "invalid_argument", message: `malformed %-escape in path "${req.path}"` });
      return;
    }
    res.status(500).json({ code: "internal", message: "internal error" });
  });

  return router;
}

/** The router's failure to decode a path parameter (`/v1/pods/%ZZ`); it marks it status 400. */
function isBadRequest(err: unknown): boolean {
  return err instanceof URIError && (err as { status?: unknown }).status === 400;
}
