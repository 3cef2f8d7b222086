/**
 * Lets express serve HTTP/2 requests. Express re-parents every request and
 * response onto prototypes derived from node:http's IncomingMessage and
 * ServerResponse; an Http2ServerRequest re-parented that way crashes on its
 * first body read. We build a second app whose prototypes carry express's
 * methods on top of node:http2's compat classes instead, and pick the app per
 * request. Routes live in one Router shared by both apps.
 *
 * Known limit: `express.json()` (body-parser) finds no body on HTTP/2 because
 * it looks for Content-Length/Transfer-Encoding; read bodies with
 * `readBody()`-style helpers that consume the stream directly.
 */
import { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import express, { type Express, type Router } from "express";

import type { connectNodeAdapter } from "@connectrpc/connect-node";

/** A request listener for both node:http and node:http2 (compat API) servers. */
export type DualHandler = NonNullable<Parameters<typeof connectNodeAdapter>[0]["fallback"]>;

/** Serve `router` to HTTP/1.1 and HTTP/2 requests alike. `configure` runs on both apps. */
export function createDualProtocolApp(router: Router, configure: (app: Express) => void): DualHandler {
  const h1 = express();
  const h2 = express();
  reparent(h2);
  for (const app of [h1, h2]) {
    configure(app);
    app.use(router);
  }
  return (req, res) => {
    const app = req instanceof Http2ServerRequest ? h2 : h1;
    (app as unknown as DualHandler)(req, res);
  };
}

function reparent(app: Express): void {
  const own = { configurable: true, enumerable: true, writable: true, value: app };
  const request = Object.create(Http2ServerRequest.prototype, Object.getOwnPropertyDescriptors(express.request));
  const response = Object.create(Http2ServerResponse.prototype, Object.getOwnPropertyDescriptors(express.response));
  app.request = Object.create(request, { app: own });
  app.response = Object.create(response, { app: own });
}
