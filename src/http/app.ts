/**
 * The express app behind every request that is not an RPC: health and
 * readiness now; the OpenAPI document, docs and REST routes later. Unknown
 * paths get the Connect error body with `not_found`, so HTTP clients see one
 * error shape everywhere.
 */
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { RuntimeCore } from "../core/runtime-core.js";

/** Options for {@link createHttpApp}. */
export interface HttpAppOptions {
  /** The (intercepted) core, asked for readiness by /readyz. */
  core: RuntimeCore;
  /** Version string reported by /healthz. */
  version: string;
}

/** Build the express app for non-RPC routes. */
export function createHttpApp({ core, version }: HttpAppOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  // Liveness: the process is up and serving HTTP. Never touches the core.
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", version });
  });

  // Readiness: the runtime core can serve calls (a remote core reports its upstream).
  app.get("/readyz", async (_req, res, next) => {
    try {
      const health = await core.health();
      res.status(health.ready ? 200 : 503).json({
        status: health.ready ? "ready" : "not ready",
        runtime: core.name,
        ...(health.message === undefined ? {} : { message: health.message }),
      });
    } catch (err) {
      next(err);
    }
  });

  app.use((req: Request, res: Response) => {
    res.status(404).json({ code: "not_found", message: `no route for ${req.method} ${req.path}` });
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof err === "object" && err !== null && "status" in err ? Number(err.status) : 500;
    res
      .status(Number.isInteger(status) && status >= 400 && status < 600 ? status : 500)
      .json({ code: status === 500 ? "internal" : "invalid_argument", message: status === 500 ? "internal error" : String((err as Error).message) });
  });

  return app;
}
