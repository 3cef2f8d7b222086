/**
 * The gateway's one entry for HTTP/1.1 upgrade requests: streaming URLs go
 * to the core's streaming server (or the proxy); any other upgrade offer
 * (e.g. curl's `Upgrade: h2c`) is declined so the request is served as a
 * plain HTTP/1.1 request, as RFC 9110 lets a server do.
 */
import type { StreamingServer } from "../core/runtime-core.js";
import type { UpgradeHandler } from "../server/serve-options.js";
import { refuseUpgrade, wantsStreamUpgrade } from "./raw-response.js";
import { isStreamPath, parseStreamRoute } from "./stream-route.js";


/**
 * Route upgrade requests under `/stream/` to `server` (answering malformed
 * ones itself) and decline all others, which the server then serves as
 * plain HTTP/1.1 requests.
 */
export function createUpgradeRouter(server: StreamingServer): UpgradeHandler {
  return function routeUpgrade(request, socket, head) {
    const url = request.url ?? "/";
    if (!isStreamPath(url)) return false;
    const route = parseStreamRoute(url);
    if (route === undefined) {
      refuseUpgrade(socket, 404, "not_found", "no such streaming URL; expected /stream/{exec|attach|portforward}/{token}");
    } else if (!wantsStreamUpgrade(request.headers)) {
      refuseUpgrade(socket, 400, "invalid_argument", "streaming needs an upgrade to websocket or SPDY/3.1");
    } else {
      socket.on("error", () => socket.destroy());
      try {
        server.handleUpgrade(route, request, socket, head);
      } catch {
        refuseUpgrade(socket, 500, "internal", "internal error");
      }
    }
    return true;
  };
}
