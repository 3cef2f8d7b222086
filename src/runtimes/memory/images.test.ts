import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  CreateContainerRequestSchema,
  ImageFsInfoRequestSchema,
  ImageStatusRequestSchema,
  ListImagesRequestSchema,
  PullImageRequestSchema,
  RemoveContainerRequestSchema,
  RemoveImageRequestSchema,
  RunPodSandboxRequestSchema,
  StartContainerRequestSchema,
  StopPodSandboxRequestSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../core/call-context.js";
import { isCoreError } from "../../core/core-error.js";
import { createMemoryRuntime, defaultPauseImage } from "./index.js";

const ctx = createCallContext();
const newCore = () => createMemoryRuntime({ gatewayUrl: () => "http://gw", maxMessageBytes: 1 << 20, settings: {} });
const status = async (core: ReturnType<typeof newCore>, image: string) =>
  (await core.imageStatus(create(ImageStatusRequestSchema, { image: { image } }), ctx)).image;
const pull = async (core: ReturnType<typeof newCore>, image: string) =>
  (await core.pullImage(create(PullImageRequestSchema, { image: { image } }), ctx)).imageRef;

describe("images of the memory runtime", () => {
  it("starts with the pause image, pinned and running as 65535", async () => {
    const pause = await status(newCore(), defaultPauseImage);
    assert.equal(pause?.pinned, true);
    assert.equal(pause?.uid?.value, 65535n);
    assert.deepEqual(pause?.repoTags, [defaultPauseImage]);
  });

  it("preloads the images it is given", async () => {
    const core = createMemoryRuntime({ gatewayUrl: () => "", maxMessageBytes: 1 << 20, settings: { images: "busybox, nginx:1.27" } });
    assert.equal((await core.listImages(create(ListImagesRequestSchema), ctx)).images.length, 3);
  });

  it("pulls the same reference to the same deterministic image", async () => {
    const a = await pull(newCore(), "busybox");
    const b = await pull(newCore(), "docker.io/library/busybox:latest");
    assert.equal(a, b);
    assert.match(a, /^sha256:[0-9a-f]{64}$/);
  });

  it("normalises tags and records a repo digest", async () => {
    const core = newCore();
    await pull(core, "busybox");
    const image = await status(core, "busybox");
    assert.deepEqual(image?.repoTags, ["docker.io/library/busybox:latest"]);
    assert.match(image?.repoDigests[0] ?? "", /^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
    assert.equal(image?.pinned, false);
    assert.equal(image?.uid, undefined);
  });

  it("treats a pull of a tag's digest as the same image", async () => {
    const core = newCore();
    const id = await pull(core, "busybox:1.36");
    const digest = (await status(core, "busybox:1.36"))?.repoDigests[0] ?? "";
    assert.equal(await pull(core, digest), id);
  });

  it("pulls by an arbitrary digest without tags", async () => {
    const core = newCore();
    const ref = `quay.io/org/app@sha256:${"e".repeat(64)}`;
    const id = await pull(core, ref);
    const image = await status(core, id.slice(7, 19));
    assert.deepEqual(image?.repoTags, []);
    assert.deepEqual(image?.repoDigests, [ref]);
  });

  for (const bad of ["Busybox", "busybox:", "busybox@sha256:123", "a b"]) {
    it(`rejects pulling "${bad}" with invalid_argument`, async () => {
      await assert.rejects(pull(newCore(), bad), (err: unknown) => isCoreError(err, "invalid_argument"));
    });
  }

  it("filters ListImages by reference", async () => {
    const core = newCore();
    await pull(core, "busybox");
    const list = async (image: string) =>
      (await core.listImages(create(ListImagesRequestSchema, { filter: { image: { image } } }), ctx)).images.map((i) => i.repoTags[0]);
    assert.deepEqual(await list("busybox"), ["docker.io/library/busybox:latest"]);
    assert.deepEqual(await list("nginx"), []);
  });

  it("refuses to remove an image a container uses, until the container is gone", async () => {
    const core = newCore();
    await pull(core, "nginx");
    const { podSandboxId } = await core.runPodSandbox(create(RunPodSandboxRequestSchema, { config: { metadata: { name: "p" } } }), ctx);
    const { containerId } = await core.createContainer(
      create(CreateContainerRequestSchema, { podSandboxId, config: { metadata: { name: "c" }, image: { image: "nginx" } } }),
      ctx,
    );
    await core.startContainer(create(StartContainerRequestSchema, { containerId }), ctx);
    await core.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId }), ctx);
    await assert.rejects(core.removeImage(create(RemoveImageRequestSchema, { image: { image: "nginx" } }), ctx), (err: unknown) =>
      isCoreError(err, "failed_precondition") && /in use by 1 containers/.test(err.message),
    );
    await core.removeContainer(create(RemoveContainerRequestSchema, { containerId }), ctx);
    await core.removeImage(create(RemoveImageRequestSchema, { image: { image: "nginx" } }), ctx);
    assert.equal(await status(core, "nginx"), undefined);
  });

  it("creates containers only from present images, with a hint to pull", async () => {
    const core = newCore();
    const { podSandboxId } = await core.runPodSandbox(create(RunPodSandboxRequestSchema, { config: { metadata: { name: "p" } } }), ctx);
    await assert.rejects(
      core.createContainer(create(CreateContainerRequestSchema, { podSandboxId, config: { metadata: { name: "c" }, image: { image: "redis" } } }), ctx),
      (err: unknown) => isCoreError(err, "not_found") && /pull it first/.test(err.message),
    );
  });

  it("reports image filesystem usage as images plus writable layers", async () => {
    const core = newCore();
    await pull(core, "busybox");
    const images = (await core.listImages(create(ListImagesRequestSchema), ctx)).images;
    const imageBytes = images.reduce((sum, i) => sum + i.size, 0n);
    const before = (await core.imageFsInfo(create(ImageFsInfoRequestSchema), ctx)).imageFilesystems[0];
    assert.equal(before?.usedBytes?.value, imageBytes);
    const { podSandboxId } = await core.runPodSandbox(create(RunPodSandboxRequestSchema, { config: { metadata: { name: "p" } } }), ctx);
    await core.createContainer(
      create(CreateContainerRequestSchema, { podSandboxId, config: { metadata: { name: "c" }, image: { image: "busybox" } } }),
      ctx,
    );
    const after = (await core.imageFsInfo(create(ImageFsInfoRequestSchema), ctx)).imageFilesystems[0];
    assert.ok((after?.usedBytes?.value ?? 0n) > imageBytes, "a writable layer adds to the usage");
    assert.match(after?.fsId?.mountpoint ?? "", /overlayfs/);
  });

  it("pulls the pause image back when a sandbox needs it", async () => {
    const core = newCore();
    await core.removeImage(create(RemoveImageRequestSchema, { image: { image: defaultPauseImage } }), ctx);
    assert.equal(await status(core, defaultPauseImage), undefined);
    await core.runPodSandbox(create(RunPodSandboxRequestSchema, { config: { metadata: { name: "p" } } }), ctx);
    assert.equal((await status(core, defaultPauseImage))?.pinned, true);
  });
});
