/**
 * Image verbs: pull (a deterministic simulated download), status, list and
 * stream, remove, and the image filesystem usage. Lookups follow containerd's
 * LocalResolve: full id, then normalised reference, then id prefix.
 */
import { create } from "@bufbuild/protobuf";
import {
  type Image,
  ImageFsInfoResponseSchema,
  ImageStatusResponseSchema,
  ListImagesResponseSchema,
  PullImageResponseSchema,
  RemoveImageResponseSchema,
  StreamImagesResponseSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../core/core-error.js";
import type { ImageMethods } from "../../core/runtime-core.js";
import { chunked } from "./chunk.js";
import { parseImageReference } from "./image-reference.js";
import { requireId, requireSet } from "../../core/request-checks.js";
import { simulateImage } from "./simulated-image.js";
import type { MemoryState } from "./state.js";
import { containerUsage } from "./usage-model.js";
import { imageSizeHint, toCriImage } from "./store/image-cri.js";
import type { ImageRecord } from "./store/image-store.js";

/** Where containerd's overlayfs snapshotter keeps images and writable layers. */
export const snapshotterMountpoint = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs";

/** Inodes a simulated image of `bytes` uses: one per 32 KiB, at least 16. */
function imageInodes(bytes: number): bigint {
  return BigInt(Math.max(16, Math.ceil(bytes / 32768)));
}

/** Build the image verbs over `state`. */
export function createImageVerbs(state: MemoryState): ImageMethods {
  const { images, containers } = state;
  // containerd pins whatever image is configured as the sandbox image.
  const pauseImageId = simulateImage(parseImageReference(state.options.pauseImage)).content.id;

  const filtered = (text: string | undefined): ImageRecord[] => {
    if (text === undefined || text === "") return [...images.all()];
    const image = images.find(text);
    return image === undefined ? [] : [image];
  };

  return {
    async pullImage(request) {
      const text = requireId(requireSet(request.image, "image").image, "image.image");
      const ref = parseImageReference(text);
      const pulled = simulateImage(ref, { pinned: false });
      const image = images.put({ ...pulled.content, pinned: pulled.content.id === pauseImageId }, pulled.refs);
      return create(PullImageResponseSchema, { imageRef: image.id });
    },

    async imageStatus(request) {
      const text = requireId(requireSet(request.image, "image").image, "image.image");
      const image = images.find(text);
      // CRI: an unknown image is an empty answer, not an error.
      if (image === undefined) return create(ImageStatusResponseSchema);
      const info: Record<string, string> = {};
      if (request.verbose) {
        info.info = JSON.stringify({
          chainID: image.id,
          size: image.size,
          pinned: image.pinned,
          users: containers.imageUsers(image.id),
        });
      }
      return create(ImageStatusResponseSchema, { image: toCriImage(image), info });
    },

    async listImages(request) {
      return create(ListImagesResponseSchema, { images: filtered(request.filter?.image?.image).map(toCriImage) });
    },

    async *streamImages(request, ctx) {
      const chunks = chunked<ImageRecord, Image>({
        items: filtered(request.filter?.image?.image),
        sizeOf: imageSizeHint,
        build: toCriImage,
        maxBytes: state.options.maxMessageBytes,
        signal: ctx.signal,
      });
      for await (const chunk of chunks) yield create(StreamImagesResponseSchema, { images: chunk });
    },

    async removeImage(request) {
      const text = requireId(requireSet(request.image, "image").image, "image.image");
      const image = images.find(text);
      // Removing an absent image succeeds (CRI: idempotent).
      if (image === undefined) return create(RemoveImageResponseSchema);
      // NOTE: containerd leaves this check to the kubelet's image GC; the
      // simulation refuses, so a client cannot pull the rug from under a container.
      const users = containers.imageUsers(image.id);
      if (users > 0) {
        throw new CoreError("failed_precondition", `image "${text}" is in use by ${users} containers`);
      }
      images.delete(image.id);
      return create(RemoveImageResponseSchema);
    },

    async imageFsInfo() {
      const now = state.clock();
      let bytes = BigInt(images.totalBytes);
      let inodes = 0n;
      for (const image of images.all()) inodes += imageInodes(image.size);
      for (const record of containers.all()) {
        const usage = containerUsage(record, now);
        bytes += usage.writableBytes;
        inodes += usage.writableInodes;
      }
      return create(ImageFsInfoResponseSchema, {
        imageFilesystems: [
          {
            timestamp: now,
            fsId: { mountpoint: snapshotterMountpoint },
            usedBytes: { value: bytes },
            inodesUsed: { value: inodes },
          },
        ],
      });
    },
  };
}
