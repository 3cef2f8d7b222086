import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type MessageInitShape, create, equals, fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { type ContainerConfig, ContainerConfigSchema, Signal } from "../../../../gen/runtime/v1/api_pb.js";
import { containerConfigOf, keepContainerConfig } from "./container-config.js";

// A config touching every kind of ContainerConfig member: kept fields, scalars,
// lists of strings and messages, nested messages, wrappers, both platforms.
const full: MessageInitShape<typeof ContainerConfigSchema> = {
  metadata: { name: "app", attempt: 2 },
  image: { image: "docker.io/library/nginx:1.27", annotations: { "a.b/c": "d" }, userSpecifiedImage: "nginx" },
  command: ["nginx"],
  args: ["-g", "daemon off;"],
  workingDir: "/srv",
  envs: [
    { key: "POD_NAME", value: Buffer.from("web-0") },
    { key: "UNICODE", value: Buffer.from("héllo ✓ 😀") },
  ],
  mounts: [{ containerPath: "/data", hostPath: "/var/lib/kubelet/pods/x/volumes/data", readonly: true, propagation: 2 }],
  devices: [{ containerPath: "/dev/fuse", hostPath: "/dev/fuse", permissions: "rwm" }],
  labels: { "io.kubernetes.container.name": "app" },
  annotations: { "io.kubernetes.container.hash": "abc" },
  logPath: "app/2.log",
  stdin: true,
  tty: true,
  linux: {
    resources: { cpuPeriod: 100000n, cpuQuota: 50000n, memoryLimitInBytes: 268435456n, unified: { "memory.high": "1" } },
    securityContext: { runAsUser: { value: 1000n }, supplementalGroups: [5n, 6n], maskedPaths: ["/proc/kcore"] },
  },
  windows: { resources: { cpuShares: 2n } },
  CDIDevices: [{ name: "vendor.com/gpu=0" }],
  stopSignal: Signal.SIGKILL,
};

const cases: { desc: string; config: ContainerConfig }[] = [
  { desc: "a config using every kind of field", config: create(ContainerConfigSchema, full) },
  { desc: "a config with only metadata and image", config: create(ContainerConfigSchema, { metadata: { name: "c" }, image: { image: "busybox" } }) },
  { desc: "an empty config", config: create(ContainerConfigSchema) },
  {
    desc: "a config decoded with fields this schema does not know",
    // Field 999 (varint 7) is unknown to ContainerConfig; the bytes must survive.
    config: fromBinary(
      ContainerConfigSchema,
      new Uint8Array([...toBinary(ContainerConfigSchema, create(ContainerConfigSchema, full)), 0xb8, 0x3e, 0x07]),
    ),
  },
];

describe("keepContainerConfig and containerConfigOf", () => {
  for (const t of cases) {
    it(`give back ${t.desc} unchanged`, () => {
      const back = containerConfigOf(keepContainerConfig(t.config));
      assert.ok(equals(ContainerConfigSchema, back, t.config));
      assert.deepEqual(toJson(ContainerConfigSchema, back), toJson(ContainerConfigSchema, t.config));
      assert.deepEqual(toBinary(ContainerConfigSchema, back), toBinary(ContainerConfigSchema, t.config));
    });
  }

  it("keeps what lists read as the request's own objects", () => {
    const config = create(ContainerConfigSchema, full);
    const kept = keepContainerConfig(config);
    assert.equal(kept.metadata, config.metadata);
    assert.equal(kept.image, config.image);
    assert.equal(kept.labels, config.labels);
    assert.equal(kept.annotations, config.annotations);
    assert.equal(kept.stopSignal, Signal.SIGKILL);
  });

  it("does not repeat the kept fields in the encoded rest", () => {
    const config = create(ContainerConfigSchema, full);
    const rest = fromBinary(ContainerConfigSchema, Buffer.from(keepContainerConfig(config).configRest, "latin1"));
    assert.equal(rest.metadata, undefined);
    assert.equal(rest.image, undefined);
    assert.deepEqual(rest.labels, {});
    assert.deepEqual(rest.annotations, {});
    assert.equal(rest.stopSignal, Signal.RUNTIME_DEFAULT);
    assert.deepEqual(rest.command, ["nginx"]);
  });

  it("copies the CPU and memory limits, and has none without linux resources", () => {
    const kept = keepContainerConfig(create(ContainerConfigSchema, full));
    assert.deepEqual(kept.createdLimits, { cpuPeriod: 100000n, cpuQuota: 50000n, memoryLimitInBytes: 268435456n });
    assert.equal(keepContainerConfig(create(ContainerConfigSchema, { linux: {} })).createdLimits, undefined);
  });

  it("leaves the request's config untouched", () => {
    const config = create(ContainerConfigSchema, full);
    const before = toBinary(ContainerConfigSchema, config);
    keepContainerConfig(config);
    assert.deepEqual(toBinary(ContainerConfigSchema, config), before);
  });
});
