/**
 * What someone would write without the gateway's layers: connect-node's
 * `connectNodeAdapter` with a tiny ServiceImpl that hands the two bench
 * methods to the same seeded memory runtime, on a plain node:http server
 * (HTTP/1.1) and a plain node:http2 server (h2c). No sniffing, no fast path,
 * no request checks, no error table, no fallback app.
 */
import http from "node:http";
import http2 from "node:http2";
import type { HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import type { ListContainersRequest, VersionRequest } from "../../gen/runtime/v1/api_pb.js";
import { announce, closeServer, createSeededRuntime, listenLoopback } from "./harness.js";

const core = await createSeededRuntime();
const toCtx = (hctx: HandlerContext) => ({ signal: hctx.signal, headers: hctx.requestHeader });

const handler = connectNodeAdapter({
  routes(router) {
    router.service(RuntimeService, {
      version: (req: VersionRequest, hctx: HandlerContext) => core.version(req, toCtx(hctx)),
      listContainers: (req: ListContainersRequest, hctx: HandlerContext) => core.listContainers(req, toCtx(hctx)),
    });
  },
});

const h1 = http.createServer(handler);
const h2 = http2.createServer(handler);
announce({ h1: await listenLoopback(h1), h2: await listenLoopback(h2) }, async () => {
  await Promise.all([closeServer(h1), closeServer(h2)]);
});
