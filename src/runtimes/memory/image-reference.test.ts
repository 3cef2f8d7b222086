import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isCoreError } from "../../core/core-error.js";
import { parseImageReference, toRepoDigest, toRepoTag } from "./image-reference.js";

const digest = `sha256:${"a".repeat(64)}`;

describe("parseImageReference", () => {
  const valid: { desc: string; ref: string; tag?: string; digest?: string }[] = [
    { desc: "adds docker.io/library and :latest to a bare name", ref: "busybox", tag: "docker.io/library/busybox:latest" },
    { desc: "keeps an explicit tag", ref: "busybox:1.36", tag: "docker.io/library/busybox:1.36" },
    { desc: "adds docker.io to a user repository", ref: "bitnami/redis", tag: "docker.io/bitnami/redis:latest" },
    { desc: "adds library/ to a docker.io name without a path", ref: "docker.io/nginx", tag: "docker.io/library/nginx:latest" },
    { desc: "rewrites index.docker.io to docker.io", ref: "index.docker.io/library/nginx:1", tag: "docker.io/library/nginx:1" },
    { desc: "keeps another registry as is", ref: "registry.k8s.io/pause:3.10", tag: "registry.k8s.io/pause:3.10" },
    { desc: "treats a host with a port as a registry", ref: "localhost:5000/app", tag: "localhost:5000/app:latest" },
    { desc: "treats localhost as a registry", ref: "localhost/app:v1", tag: "localhost/app:v1" },
    { desc: "accepts a bracketed IPv6 registry", ref: "[::1]:5000/app:v1", tag: "[::1]:5000/app:v1" },
    { desc: "accepts separators inside path components", ref: "quay.io/my_org/my-app.x__y:1.0_rc", tag: "quay.io/my_org/my-app.x__y:1.0_rc" },
    { desc: "gives a digest reference no implied tag", ref: `busybox@${digest}`, digest: `docker.io/library/busybox@${digest}` },
    { desc: "keeps both tag and digest", ref: `busybox:1.36@${digest}`, tag: "docker.io/library/busybox:1.36", digest: `docker.io/library/busybox@${digest}` },
  ];
  for (const t of valid) {
    it(t.desc, () => {
      const ref = parseImageReference(t.ref);
      assert.equal(toRepoTag(ref), t.tag);
      assert.equal(toRepoDigest(ref), t.digest);
    });
  }

  const invalid: { desc: string; ref: string; why: RegExp }[] = [
    { desc: "rejects an empty reference", ref: "", why: /empty/ },
    { desc: "rejects upper case in the repository", ref: "Busybox", why: /lowercase/ },
    { desc: "rejects an empty tag", ref: "busybox:", why: /tag/ },
    { desc: "rejects a missing name", ref: ":latest", why: /repository/ },
    { desc: "rejects a short digest", ref: "busybox@sha256:abc", why: /digest/ },
    { desc: "rejects an unknown digest algorithm", ref: `busybox@md5:${"a".repeat(32)}`, why: /algorithm/ },
    { desc: "rejects upper-case digest hex", ref: `busybox@sha256:${"A".repeat(64)}`, why: /digest/ },
    { desc: "rejects an empty path component", ref: "a//b", why: /repository name/ },
    { desc: "rejects a leading separator", ref: "-abc", why: /repository name/ },
    { desc: "rejects spaces", ref: "foo bar", why: /repository name/ },
    { desc: "rejects a 64-hex string that looks like an id", ref: "b".repeat(64), why: /64-byte/ },
    { desc: "rejects a tag longer than 128 characters", ref: `busybox:${"t".repeat(129)}`, why: /tag/ },
    { desc: "rejects a name longer than 255 characters", ref: `r.io/${"a".repeat(260)}`, why: /longer than 255/ },
  ];
  for (const t of invalid) {
    it(t.desc, () => {
      assert.throws(
        () => parseImageReference(t.ref),
        (err: unknown) => isCoreError(err, "invalid_argument") && t.why.test(err.message) && err.message.includes("invalid image reference"),
      );
    });
  }
});
