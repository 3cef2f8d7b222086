/**
 * The express routes behind every request that is not an RPC: health and
 * readiness now; the OpenAPI document, docs and REST routes later. Unknown
 * paths get the Connect error body with `not_found`, so HTTP clients see one
 * error shape everywhere. Served over HTTP/1.1 and HTTP/2 alike.
 */
import express, { type NextFunction, type Request, type Response } from "express";
import type { RuntimeCore } from "../core/runtime-core.js";
import { log } from "../observability/logger.js";
import { type DualHandler, createDualProtocolApp } from "./http2-express.js";

/** Options for {@link createHttpApp}. */
export interface HttpAppOptions {
  /** The (intercepted) core, asked for readiness by /readyz. */
  core: RuntimeCore;
  /** Version string reported by /healthz. */
  version: string;
}

/** Build the handler for non-RPC routes; use it as connectNodeAdapter's fallback. */
export function createHttpApp({ core, version }: HttpAppOptions): DualHandler {
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

  router.use((req: Request, res: Response) => {
    res.status(404).json({ code: "not_found", message: `no route for ${req.method} ${req.path}` });
  });

  // Express 5 sends rejected promises here. Never echo internals to the client.
  router.use((_err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ code: "internal", message: "internal error" });
  });

  return createDualProtocolApp(router, (app) => {
    app.disable("x-powered-by");
    app.set("etag", false);
  });
}
