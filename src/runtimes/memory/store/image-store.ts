/**
 * The image store: images keyed by id (`sha256:…`), the references (repo tags
 * and repo digests) that point at them, and an id-prefix index. Like
 * containerd's CRI image store, an image lives as long as some reference
 * names it, and every lookup follows containerd's LocalResolve order.
 */
import { CoreError } from "../../../core/core-error.js";
import { parseImageReference, toRepoDigest, toRepoTag } from "../image-reference.js";
import { createIdIndex } from "./id-index.js";

/** A stored image. Arrays are owned by the store; treat them as read-only. */
export interface ImageRecord {
  /** `sha256:` + 64 hex: the config digest, equal to PullImageResponse.image_ref. */
  readonly id: string;
  /** Normalised `name:tag` references. */
  readonly repoTags: readonly string[];
  /** Normalised `name@sha256:…` references. */
  readonly repoDigests: readonly string[];
  /** Bytes. */
  readonly size: number;
  /** Default uid from the image config, when it names a numeric user. */
  readonly uid: bigint | undefined;
  /** Default user name, when the image config names a non-numeric user. */
  readonly username: string;
  /** Garbage collection must keep it (the sandbox image). */
  readonly pinned: boolean;
}

/** The immutable facts of an image, for {@link ImageStore.put}. */
export type ImageContent = Omit<ImageRecord, "repoTags" | "repoDigests">;

/** Owns every image; verbs go through it. */
export interface ImageStore {
  readonly size: number;
  /** Sum of all image sizes, in bytes. */
  readonly totalBytes: number;
  /**
   * Record `content` under `refs` (normalised repo tags and digests). A ref
   * that pointed at another image moves here; an image left without refs is
   * dropped, as containerd drops an image whose last name is gone.
   */
  put(content: ImageContent, refs: readonly string[]): ImageRecord;
  get(id: string): ImageRecord | undefined;
  /**
   * Find an image by full id, reference (tag or digest, normalised first) or
   * id prefix (with or without `sha256:`). Unknown → undefined. Throws
   * invalid_argument for an ambiguous id prefix.
   */
  find(refOrId: string): ImageRecord | undefined;
  /** Drop an image and every reference to it; unknown ids are ignored. */
  delete(id: string): void;
  all(): IterableIterator<ImageRecord>;
}

type MutableImage = ImageContent & { repoTags: string[]; repoDigests: string[] };

const idPrefix = "sha256:";

/** Create an empty image store. */
export function createImageStore(): ImageStore {
  const images = new Map<string, MutableImage>();
  const refs = new Map<string, string>();
  const ids = createIdIndex({ noun: "image" });
  let totalBytes = 0;

  const unlinkRef = (ref: string): void => {
    const owner = refs.get(ref);
    if (owner === undefined) return;
    refs.delete(ref);
    const image = images.get(owner);
    if (image === undefined) return;
    image.repoTags = image.repoTags.filter((r) => r !== ref);
    image.repoDigests = image.repoDigests.filter((r) => r !== ref);
    if (image.repoTags.length === 0 && image.repoDigests.length === 0) drop(image);
  };

  const drop = (image: MutableImage): void => {
    images.delete(image.id);
    ids.delete(image.id.slice(idPrefix.length));
    totalBytes -= image.size;
    for (const ref of [...image.repoTags, ...image.repoDigests]) refs.delete(ref);
  };

  const byRef = (text: string): MutableImage | undefined => {
    let parsed;
    try {
      parsed = parseImageReference(text);
    } catch {
      return undefined;
    }
    // A digest pins content, so it wins over a tag written next to it.
    const key = toRepoDigest(parsed) ?? toRepoTag(parsed);
    const id = key === undefined ? undefined : refs.get(key);
    return id === undefined ? undefined : images.get(id);
  };

  return {
    get size() {
      return images.size;
    },
    get totalBytes() {
      return totalBytes;
    },
    put(content, newRefs) {
      let image = images.get(content.id);
      if (image === undefined) {
        image = { ...content, repoTags: [], repoDigests: [] };
        images.set(image.id, image);
        ids.add(image.id.slice(idPrefix.length));
        totalBytes += image.size;
      }
      for (const ref of newRefs) {
        const owner = refs.get(ref);
        if (owner === image.id) continue;
        if (owner !== undefined) unlinkRef(ref);
        refs.set(ref, image.id);
        if (ref.includes("@")) image.repoDigests = [...image.repoDigests, ref];
        else image.repoTags = [...image.repoTags, ref];
      }
      return image;
    },
    get: (id) => images.get(id),
    find(refOrId) {
      if (refOrId === "") return undefined;
      const exact = images.get(refOrId);
      if (exact !== undefined) return exact;
      const named = byRef(refOrId);
      if (named !== undefined) return named;
      const hex = refOrId.startsWith(idPrefix) ? refOrId.slice(idPrefix.length) : refOrId;
      if (hex === "") return undefined;
      try {
        return images.get(idPrefix + ids.resolve(hex));
      } catch (err) {
        if (err instanceof CoreError && err.kind === "not_found") return undefined;
        throw err;
      }
    },
    delete(id) {
      const image = images.get(id);
      if (image !== undefined) drop(image);
    },
    all: () => images.values(),
  };
}
