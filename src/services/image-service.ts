/**
 * ImageService over Connect: the required-field checks for each RPC. The
 * rest (delegation, error mapping) is shared, see `service-impl.ts`.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { ImageService } from "../../gen/runtime/v1/api_pb.js";
import type { RuntimeCore } from "../core/runtime-core.js";
import { type RequestChecks, createServiceImpl } from "./service-impl.js";
import { requireId, requireMessage } from "./validate.js";

/** What each ImageService request must carry before it reaches a core. */
export const imageChecks: RequestChecks<typeof ImageService> = {
  pullImage: (r) => {
    requireMessage(r.image, "image");
    requireId(r.image.image, "image.image");
  },
  imageStatus: (r) => {
    requireMessage(r.image, "image");
    requireId(r.image.image, "image.image");
  },
  removeImage: (r) => {
    requireMessage(r.image, "image");
    requireId(r.image.image, "image.image");
  },
};

/** The Connect implementation of runtime.v1.ImageService over `core`. */
export function createImageServiceImpl(
  core: RuntimeCore,
  streamShutdown?: AbortSignal,
): ServiceImpl<typeof ImageService> {
  return createServiceImpl(ImageService, core, imageChecks, streamShutdown);
}
