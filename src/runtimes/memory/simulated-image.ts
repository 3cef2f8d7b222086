/**
 * What a pull "downloads": a deterministic image for any reference. The same
 * reference always yields the same id, digest and size, and pulling a tag's
 * digest later yields the same image, as with a real registry.
 */
import { createHash } from "node:crypto";
import type { ImageReference } from "./image-reference.js";
import { toRepoDigest, toRepoTag } from "./image-reference.js";
import type { ImageContent } from "./store/image-store.js";

/** A pulled image and the references it is stored under. */
export interface SimulatedImage {
  readonly content: ImageContent;
  /** Normalised repo tag and/or repo digest. */
  readonly refs: readonly string[];
}

const mib = 1024 * 1024;

/**
 * The image behind `ref`.
 *
 * NOTE: the manifest digest of a tag is sha256("manifest\0" + name:tag); a
 * digest reference brings its own. The image id (config digest) is derived
 * from the manifest digest only, so `busybox:1.36` and
 * `busybox@<its digest>` are one image with a tag and a repo digest, just as
 * after real pulls. Sizes fall between 1 and 129 MiB; pause images are small
 * and run as uid 65535, like the real one. Images without a user leave uid
 * and username unset (containerd's getUserFromImage on an empty User).
 */
export function simulateImage(ref: ImageReference, { pinned = false }: { pinned?: boolean } = {}): SimulatedImage {
  const manifestDigest = ref.digest ?? `sha256:${sha256(`manifest\u0000${toRepoTag(ref)}`)}`;
  const configHex = sha256(`config\u0000${manifestDigest}`);
  const isPause = ref.path.endsWith("/pause") || ref.path === "pause";
  const spread = Number.parseInt(configHex.slice(0, 8), 16);
  const size = isPause ? 300 * 1024 + (spread % (64 * 1024)) : mib + (spread % (128 * mib));
  const refs: string[] = [];
  const tag = toRepoTag(ref);
  if (tag !== undefined) refs.push(tag);
  refs.push(toRepoDigest(ref) ?? `${ref.name}@${manifestDigest}`);
  return {
    content: {
      id: `sha256:${configHex}`,
      size,
      uid: isPause ? 65535n : undefined,
      username: "",
      pinned,
    },
    refs,
  };
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
