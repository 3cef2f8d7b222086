/**
 * CRI view of an image record (`Image`) and its size bound for chunking.
 */
import { create } from "@bufbuild/protobuf";
import { type Image, ImageSchema } from "../../../../gen/runtime/v1/api_pb.js";
import { fieldOverhead, sizeOfString, sizeOfStrings, varintFieldSize } from "../message-size.js";
import type { ImageRecord } from "./image-store.js";

/** The `Image` message for a stored image, as containerd's toCRIImage builds it. */
export function toCriImage(record: ImageRecord): Image {
  return create(ImageSchema, {
    id: record.id,
    repoTags: [...record.repoTags],
    repoDigests: [...record.repoDigests],
    size: BigInt(record.size),
    uid: record.uid === undefined ? undefined : { value: record.uid },
    username: record.username,
    pinned: record.pinned,
  });
}

/** Upper bound on the encoded size of an `Image` list item. */
export function imageSizeHint(record: ImageRecord): number {
  return (
    fieldOverhead +
    sizeOfString(record.id) +
    sizeOfStrings(record.repoTags) +
    sizeOfStrings(record.repoDigests) +
    3 * varintFieldSize +
    fieldOverhead +
    sizeOfString(record.username)
  );
}
