/**
 * Registers both CRI services on a Connect router. Every protocol Connect
 * speaks (gRPC, gRPC-Web, Connect JSON and binary) is served from these.
 */
import type { ConnectRouter } from "@connectrpc/connect";
import { ImageService, RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import type { RuntimeCore } from "../core/runtime-core.js";
import { createImageServiceImpl } from "./image-service.js";
import { createRuntimeServiceImpl } from "./runtime-service.js";

/**
 * Returns the `routes` callback for `connectNodeAdapter` serving `core`.
 * Aborting `streamShutdown` ends every open server stream.
 */
export function createRoutes(
  core: RuntimeCore,
  streamShutdown?: AbortSignal,
): (router: ConnectRouter) => void {
  const runtime = createRuntimeServiceImpl(core, streamShutdown);
  const image = createImageServiceImpl(core, streamShutdown);
  return (router) => {
    router.service(RuntimeService, runtime);
    router.service(ImageService, image);
  };
}
