/**
 * CRI views of a container record: the list item (`Container`), the full
 * `ContainerStatus`, and the size bound used to chunk streams. Messages are
 * built only when asked for and share the stored config objects by reference,
 * so treat them as read-only. The list item uses only the config parts a
 * record keeps as objects; the status decodes the rest once per call.
 */
import { create } from "@bufbuild/protobuf";
import {
  type Container,
  ContainerResourcesSchema,
  ContainerSchema,
  type ContainerConfig,
  type ContainerResources,
  type ContainerStatus,
  ContainerStatusSchema,
  ImageSpecSchema,
} from "../../../../gen/runtime/v1/api_pb.js";
import { fieldOverhead, sizeOfString, sizeOfStringMap, varintFieldSize } from "../message-size.js";
import { containerConfigOf } from "./container-config.js";
import { type ContainerRecord, containerState } from "./container-store.js";
import type { ImageRecord } from "./image-store.js";
import type { SandboxRecord } from "./sandbox-store.js";

/** The list item for a container, as containerd's toCRIContainer builds it. */
export function toCriContainer(record: ContainerRecord): Container {
  // Kept fields only: this runs per item of every list and stream, so it must never decode.
  return create(ContainerSchema, {
    id: record.id,
    podSandboxId: record.podSandboxId,
    metadata: record.metadata,
    image: record.image,
    imageRef: record.imageId,
    state: containerState(record),
    createdAt: record.createdAt,
    labels: record.labels,
    annotations: record.annotations,
    imageId: record.imageId,
  });
}

/**
 * The full status. Like containerd, `image` shows the image's first repo tag
 * and `image_ref` its first repo digest when it has them, falling back to what
 * the container was created with and to the image id. Pass `config` when you
 * already hold the decoded config, to save decoding it again.
 */
export function toCriContainerStatus(
  record: ContainerRecord,
  image: ImageRecord | undefined,
  sandbox: SandboxRecord | undefined,
  config: ContainerConfig = containerConfigOf(record),
): ContainerStatus {
  const tag = image?.repoTags[0];
  const security = config.linux?.securityContext;
  const logDirectory = sandbox?.config.logDirectory ?? "";
  return create(ContainerStatusSchema, {
    id: record.id,
    metadata: config.metadata,
    state: containerState(record),
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    exitCode: record.exitCode,
    image: tag === undefined ? config.image : create(ImageSpecSchema, { image: tag }),
    imageRef: image?.repoDigests[0] ?? record.imageId,
    reason: record.reason,
    message: record.message,
    labels: config.labels,
    annotations: config.annotations,
    mounts: config.mounts,
    logPath: logDirectory !== "" && config.logPath !== "" ? joinPath(logDirectory, config.logPath) : "",
    resources: currentResources(record, config),
    imageId: record.imageId,
    user: {
      linux: {
        uid: security?.runAsUser?.value ?? image?.uid ?? 0n,
        gid: security?.runAsGroup?.value ?? 0n,
        supplementalGroups: security?.supplementalGroups ?? [],
      },
    },
    stopSignal: config.stopSignal,
  });
}

/**
 * The resources in force: the last update, else those the container was
 * created with. Pass `config` when you already hold the decoded config, to
 * save decoding it again.
 */
export function currentResources(record: ContainerRecord, config?: ContainerConfig): ContainerResources {
  if (record.resources !== undefined) return record.resources;
  const created = config ?? containerConfigOf(record);
  return create(ContainerResourcesSchema, {
    linux: created.linux?.resources,
    windows: created.windows?.resources,
  });
}

/**
 * Upper bound on the encoded size of this container's `Container` list item
 * (plus its repeated-field framing). Computed once, at creation.
 */
export function containerSizeHint(id: string, podSandboxId: string, imageId: string, config: ContainerConfig): number {
  const image = config.image;
  const imageSpec =
    image === undefined
      ? 0
      : fieldOverhead +
        sizeOfString(image.image) +
        sizeOfStringMap(image.annotations) +
        sizeOfString(image.userSpecifiedImage) +
        sizeOfString(image.runtimeHandler) +
        sizeOfString(image.imageRef);
  const metadata = fieldOverhead + sizeOfString(config.metadata?.name ?? "") + varintFieldSize;
  return (
    fieldOverhead +
    sizeOfString(id) +
    sizeOfString(podSandboxId) +
    metadata +
    imageSpec +
    2 * sizeOfString(imageId) +
    2 * varintFieldSize +
    sizeOfStringMap(config.labels) +
    sizeOfStringMap(config.annotations)
  );
}

function joinPath(dir: string, file: string): string {
  if (file.startsWith("/")) return file;
  return dir.endsWith("/") ? dir + file : `${dir}/${file}`;
}
