/**
 * The real gateway over the seeded memory runtime, on one TCP port with h1/h2c
 * sniffing. `--no-fast-path` builds the same stack the way `startGateway`
 * does (routes, express fallback, connectNodeAdapter, `serve`) but without
 * the Connect unary fast path in front, to show what that path is worth.
 */
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { defaultMaxMessageBytes, startGateway } from "../../src/gateway.js";
import { createHttpApp } from "../../src/http/app.js";
import { serve } from "../../src/server/index.js";
import { createRoutes } from "../../src/services/routes.js";
import { gatewayVersion } from "../../src/version.js";
import { announce, createSeededRuntime } from "./harness.js";

const fastPath = !process.argv.includes("--no-fast-path");
let url = "http://127.0.0.1:0";
const core = await createSeededRuntime(() => url);

if (fastPath) {
  const gateway = await startGateway({ tcp: { host: "127.0.0.1", port: 0 }, core, graceMs: 0 });
  url = gateway.url ?? url;
  announce({ h1: url, h2: url }, () => gateway.close());
} else {
  const shutdown = new AbortController();
  const routes = createRoutes(core, shutdown.signal);
  const handler = connectNodeAdapter({
    routes: routes.register,
    fallback: createHttpApp({ core, version: gatewayVersion }),
    readMaxBytes: defaultMaxMessageBytes,
    writeMaxBytes: defaultMaxMessageBytes,
    jsonOptions: { ignoreUnknownFields: false },
  });
  const serving = await serve({ handler, tcp: { host: "127.0.0.1", port: 0 } });
  url = serving.tcp?.url ?? url;
  announce({ h1: url, h2: url }, async () => {
    shutdown.abort();
    await serving.close({ graceMs: 0 });
    await core.close();
  });
}
