import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  ListContainersRequestSchema,
  RunPodSandboxRequestSchema,
  StreamContainersRequestSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../core/call-context.js";
import { CoreError, isCoreError } from "../../core/core-error.js";
import type { CoreOptions } from "../../core/registry.js";
import { type MemoryRuntimeOptions, createMemoryRuntime } from "./index.js";

const ctx = createCallContext();
const base: CoreOptions = { gatewayUrl: () => "http://gw", maxMessageBytes: 1 << 20, settings: {} };

async function setup(options: Partial<MemoryRuntimeOptions> = {}) {
  const core = createMemoryRuntime({ ...base, ...options });
  const pod = async (name: string) =>
    (await core.runPodSandbox(create(RunPodSandboxRequestSchema, { config: { metadata: { name } } }), ctx)).podSandboxId;
  return { core, pod };
}

describe("memory runtime faults and options", () => {
  it("throws an injected fault before touching state", async () => {
    const fault = new CoreError("unavailable", "injected");
    const { core } = await setup({ faults: { runPodSandbox: fault } });
    await assert.rejects(core.runPodSandbox(create(RunPodSandboxRequestSchema, { config: { metadata: { name: "p" } } }), ctx), fault);
    assert.equal((await core.listContainers(create(ListContainersRequestSchema), ctx)).containers.length, 0);
  });

  it("lets a fault function fail only some calls", async () => {
    let calls = 0;
    const { pod } = await setup({ faults: { runPodSandbox: () => (calls++ === 0 ? new CoreError("deadline_exceeded", "slow") : undefined) } });
    await assert.rejects(pod("a"), (err: unknown) => isCoreError(err, "deadline_exceeded"));
    assert.match(await pod("a"), /^[0-9a-f]{64}$/);
  });

  it("fails a faulted stream on its first read", async () => {
    const { core } = await setup({ faults: { streamContainers: new CoreError("unavailable", "down") } });
    const stream = core.streamContainers(create(StreamContainersRequestSchema), ctx)[Symbol.asyncIterator]();
    await assert.rejects(stream.next(), (err: unknown) => isCoreError(err, "unavailable"));
  });

  const badOptions: { desc: string; options: Partial<MemoryRuntimeOptions & CoreOptions>; message: RegExp }[] = [
    { desc: "a fault on an unknown method", options: { faults: { nope: new CoreError("internal", "x") } as never }, message: /unknown method "nope"/ },
    { desc: "a clock that returns 0", options: { clock: () => 0n }, message: /clock/ },
    { desc: "a tiny message limit", options: { maxMessageBytes: 100 }, message: /maxMessageBytes/ },
    { desc: "an invalid preloaded image", options: { images: ["Bad Image"] }, message: /invalid image reference/ },
    { desc: "an invalid pod CIDR", options: { podCidr: "nope" }, message: /pod_cidr/ },
    { desc: "an unknown setting", options: { settings: { colour: "blue" } }, message: /unknown setting "colour"/ },
    { desc: "a zero event queue", options: { eventQueueCapacity: 0 }, message: /eventQueueCapacity/ },
  ];
  for (const t of badOptions) {
    it(`rejects ${t.desc} at creation`, () => {
      assert.throws(
        () => createMemoryRuntime({ ...base, ...t.options }),
        (err: unknown) => isCoreError(err, "invalid_argument") && t.message.test(err.message),
      );
    });
  }
});

