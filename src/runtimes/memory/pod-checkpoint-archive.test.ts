/** The memory runtime's pod checkpoint file: round trip, and every way a file can be unusable. */
import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ContainerConfigSchema, LinuxContainerResourcesSchema, PodSandboxConfigSchema } from "../../../gen/runtime/v1/api_pb.js";
import { isCoreError } from "../../core/core-error.js";
import { type PodCheckpoint, decodePodCheckpoint, encodePodCheckpoint, podCheckpointFormat } from "./pod-checkpoint-archive.js";

const checkpoint: PodCheckpoint = {
  checkpointedAt: 1_700_000_000_000_000_123n,
  sandbox: {
    id: "a".repeat(64),
    config: create(PodSandboxConfigSchema, { metadata: { name: "web", uid: "u" }, labels: { app: "web" }, annotations: { note: "x" } }),
    runtimeHandler: "runc",
    state: "SANDBOX_READY",
    createdAt: 5n,
    ip: "10.88.0.2",
    overhead: undefined,
    resources: create(LinuxContainerResourcesSchema, { memoryLimitInBytes: 1024n }),
  },
  containers: [
    {
      id: "b".repeat(64),
      name: "app",
      imageId: `sha256:${"c".repeat(64)}`,
      config: create(ContainerConfigSchema, {
        metadata: { name: "app" },
        image: { image: "busybox" },
        envs: [{ key: "RAW", value: new Uint8Array([0xff, 0x00]) }],
        labels: { role: "web" },
      }),
      state: "CONTAINER_RUNNING",
      createdAt: 6n,
      startedAt: 7n,
      resources: undefined,
    },
  ],
};

const gz = (doc: unknown) => gzipSync(JSON.stringify(doc));
const valid = { format: podCheckpointFormat };

describe("pod checkpoint archive", () => {
  it("decodes what it encodes, bytes, labels, int64 and all", () => {
    const back = decodePodCheckpoint(encodePodCheckpoint(checkpoint), "/x");
    assert.deepEqual(back, checkpoint);
  });

  type Doc = { sandbox: Record<string, unknown>; containers: Record<string, unknown>[] };
  const encodedDoc = () => JSON.parse(gunzipSync(encodePodCheckpoint(checkpoint)).toString("utf8")) as Doc;
  const cases: { desc: string; bytes: () => Uint8Array; message: RegExp }[] = [
    { desc: "bytes that are not gzip", bytes: () => Buffer.from("plain text"), message: /not gzip-compressed/ },
    { desc: "gzip of something that is not JSON", bytes: () => gzipSync("{nope"), message: /JSON is malformed/ },
    { desc: "another format", bytes: () => gz({ ...valid, format: "criu" }), message: /format is "criu"/ },
    { desc: "a document without a sandbox", bytes: () => gz(valid), message: /sandbox is not an object/ },
    {
      desc: "a container config that does not decode",
      bytes: () => {
        const doc = encodedDoc();
        (doc.containers[0] as Record<string, unknown>).config = { noSuchField: 1 };
        return gz(doc);
      },
      message: /containers\[0\]\.config does not decode/,
    },
    {
      desc: "a timestamp that is not a nanosecond count",
      bytes: () => {
        const doc = encodedDoc();
        doc.sandbox.createdAt = -1;
        return gz(doc);
      },
      message: /sandbox\.createdAt is not a nanosecond count/,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.desc} with invalid_argument naming the file`, () => {
      assert.throws(
        () => decodePodCheckpoint(c.bytes(), "/ckpt/memory-pod-checkpoint.json.gz"),
        (err: unknown) => {
          assert.ok(isCoreError(err, "invalid_argument"), String(err));
          assert.match(err.message, /^\/ckpt\/memory-pod-checkpoint\.json\.gz is not a usable pod checkpoint: /);
          assert.match(err.message, c.message);
          return true;
        },
      );
    });
  }
});
