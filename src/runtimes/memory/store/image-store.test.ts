import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isCoreError } from "../../../core/core-error.js";
import { createImageStore } from "./image-store.js";

const hex = (c: string) => c.repeat(64);
const content = (c: string) => ({ id: `sha256:${hex(c)}`, size: 10, uid: undefined, username: "", pinned: false });

describe("ImageStore.find", () => {
  const store = createImageStore();
  store.put(content("a"), ["docker.io/library/busybox:latest", `docker.io/library/busybox@sha256:${hex("1")}`]);
  store.put({ ...content("a"), id: `sha256:ab${hex("0").slice(2)}` }, ["docker.io/library/alpine:3"]);

  const cases: { desc: string; query: string; want: string | undefined }[] = [
    { desc: "finds by full id", query: `sha256:${hex("a")}`, want: `sha256:${hex("a")}` },
    { desc: "finds by a normalised tag", query: "busybox", want: `sha256:${hex("a")}` },
    { desc: "finds by a repo digest", query: `busybox@sha256:${hex("1")}`, want: `sha256:${hex("a")}` },
    { desc: "finds by a unique id prefix without sha256:", query: "aaa", want: `sha256:${hex("a")}` },
    { desc: "finds by a unique id prefix with sha256:", query: "sha256:ab0", want: `sha256:ab${hex("0").slice(2)}` },
    { desc: "answers undefined for an unknown tag", query: "nginx", want: undefined },
    { desc: "answers undefined for a malformed reference", query: "Not A Ref", want: undefined },
  ];
  for (const t of cases) it(t.desc, () => assert.equal(store.find(t.query)?.id, t.want));

  it("rejects an ambiguous id prefix with invalid_argument", () => {
    assert.throws(() => store.find("a"), (err: unknown) => isCoreError(err, "invalid_argument"));
  });
});

describe("ImageStore.put", () => {
  it("moves a tag to the new image and drops an image left without names", () => {
    const store = createImageStore();
    store.put(content("a"), ["docker.io/library/app:v1"]);
    store.put(content("b"), ["docker.io/library/app:v1"]);
    assert.equal(store.find("app:v1")?.id, `sha256:${hex("b")}`);
    assert.equal(store.get(`sha256:${hex("a")}`), undefined);
    assert.equal(store.size, 1);
    assert.equal(store.totalBytes, 10);
  });

  it("adds tags to an existing image once", () => {
    const store = createImageStore();
    store.put(content("a"), ["docker.io/library/app:v1"]);
    const image = store.put(content("a"), ["docker.io/library/app:v1", "docker.io/library/app:latest"]);
    assert.deepEqual(image.repoTags, ["docker.io/library/app:v1", "docker.io/library/app:latest"]);
  });

  it("forgets every reference of a deleted image", () => {
    const store = createImageStore();
    store.put(content("a"), ["docker.io/library/app:v1"]);
    store.delete(`sha256:${hex("a")}`);
    assert.equal(store.find("app:v1"), undefined);
    assert.equal(store.totalBytes, 0);
  });
});
