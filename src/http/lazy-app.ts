/**
 * Loads the express app on the first non-RPC request instead of at start:
 * express is about a quarter of the gateway's start-up time, and most
 * callers (kubelet, crictl, gRPC clients) never ask for a non-RPC route.
 */
import { log } from "../observability/logger.js";
import type { HttpAppOptions } from "./app.js";
import type { DualHandler } from "./http2-express.js";

/** A handler that builds `createHttpApp(options)` on first use and then delegates to it. */
export function createLazyHttpApp(options: HttpAppOptions): DualHandler {
  let app: DualHandler | undefined;
  let loading: Promise<DualHandler> | undefined;
  return (req, res) => {
    if (app !== undefined) return app(req, res);
    loading ??= import("./app.js").then((m) => {
      app = m.createHttpApp(options);
      return app;
    });
    loading.then(
      (handler) => handler(req, res),
      (err: unknown) => {
        log.error("cannot load the HTTP routes", { error: err instanceof Error ? err.message : String(err) });
        loading = undefined; // try again on the next request
        res.writeHead(500, { "content-type": "application/json" });
        res.end('{"code":"internal","message":"internal error"}');
      },
    );
  };
}
