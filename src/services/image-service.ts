/**
 * ImageService requests: the required-field checks for each RPC. Delegation
 * and error mapping are shared by both services, see `service-impl.ts`.
 */
import type { ImageService } from "../../gen/runtime/v1/api_pb.js";
import type { RequestChecks } from "./service-impl.js";
import { requireId, requireMessage } from "../core/request-checks.js";

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
