import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  CreateContainerRequestSchema,
  ExecSyncRequestSchema,
  RunPodSandboxRequestSchema,
  StartContainerRequestSchema,
  StopContainerRequestSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../core/call-context.js";
import { isCoreError } from "../../core/core-error.js";
import { createMemoryRuntime } from "./index.js";

const ctx = createCallContext();

async function runningContainer(maxMessageBytes = 1 << 20) {
  const core = createMemoryRuntime({ gatewayUrl: () => "http://gw", maxMessageBytes, settings: {}, images: ["busybox"] });
  const { podSandboxId } = await core.runPodSandbox(
    create(RunPodSandboxRequestSchema, {
      config: { metadata: { name: "web", namespace: "ns", uid: "u" }, hostname: "web-0", dnsConfig: { servers: ["10.96.0.10"], searches: ["ns.svc.cluster.local"] } },
    }),
    ctx,
  );
  const { containerId } = await core.createContainer(
    create(CreateContainerRequestSchema, {
      podSandboxId,
      config: { metadata: { name: "app" }, image: { image: "busybox" }, envs: [{ key: "GREETING", value: Buffer.from("hi") }], workingDir: "/srv" },
    }),
    ctx,
  );
  await core.startContainer(create(StartContainerRequestSchema, { containerId }), ctx);
  const exec = async (cmd: string[], timeout = 0n, callCtx = ctx) => {
    const r = await core.execSync(create(ExecSyncRequestSchema, { containerId, cmd, timeout }), callCtx);
    return { out: new TextDecoder().decode(r.stdout), err: new TextDecoder().decode(r.stderr), code: r.exitCode };
  };
  return { core, containerId, exec };
}

describe("execSync in the memory runtime", () => {
  const cases: { desc: string; cmd: string[]; out?: string; err?: RegExp; code: number }[] = [
    { desc: "echo prints its arguments", cmd: ["echo", "a", "b"], out: "a b\n", code: 0 },
    { desc: "false exits 1", cmd: ["false"], code: 1 },
    { desc: "sh -c 'exit N' exits N", cmd: ["sh", "-c", "exit 42"], code: 42 },
    { desc: "an unknown command exits 127 with command not found", cmd: ["kubectl"], err: /kubectl: command not found/, code: 127 },
    { desc: "the container sees its env", cmd: ["sh", "-c", "echo $GREETING $HOSTNAME"], out: "hi web-0\n", code: 0 },
    { desc: "/etc/hostname is the sandbox hostname", cmd: ["cat", "/etc/hostname"], out: "web-0\n", code: 0 },
    { desc: "/etc/resolv.conf follows the DNS config", cmd: ["cat", "/etc/resolv.conf"], out: "search ns.svc.cluster.local\nnameserver 10.96.0.10\n", code: 0 },
    { desc: "pwd is the working dir", cmd: ["pwd"], out: "/srv\n", code: 0 },
    { desc: "a short sleep finishes inside the timeout", cmd: ["sh", "-c", "sleep 0.01 && echo done"], out: "done\n", code: 0 },
  ];
  for (const t of cases) {
    it(t.desc, async () => {
      const { exec } = await runningContainer();
      const got = await exec(t.cmd, 5n);
      assert.equal(got.code, t.code);
      if (t.out !== undefined) assert.equal(got.out, t.out);
      if (t.err !== undefined) assert.match(got.err, t.err);
    });
  }

  it("fails with deadline_exceeded when a command outlives its timeout", async () => {
    const { exec } = await runningContainer();
    const started = Date.now();
    await assert.rejects(exec(["sleep", "30"], 1n), (err: unknown) => isCoreError(err, "deadline_exceeded") && /timed out after 1s/.test(err.message));
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 5000, `waited ${took} ms for a 1 s timeout`);
  });

  it("fails with deadline_exceeded when the call's own deadline passes first", async () => {
    const { exec } = await runningContainer();
    await assert.rejects(exec(["sleep", "30"], 0n, createCallContext({ deadline: Date.now() + 50 })), (err: unknown) =>
      isCoreError(err, "deadline_exceeded"),
    );
  });

  it("stops sleeping when the call is aborted", async () => {
    const { exec } = await runningContainer();
    const controller = new AbortController();
    const pending = exec(["sleep", "30"], 0n, createCallContext({ signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(pending, (err: unknown) => err instanceof Error && err.name === "AbortError");
  });

  it("reports 137 when the container is stopped while the command runs", async () => {
    const { core, containerId, exec } = await runningContainer();
    const pending = exec(["sh", "-c", "sleep 0.05; echo late"], 5n);
    await core.stopContainer(create(StopContainerRequestSchema, { containerId }), ctx);
    assert.equal((await pending).code, 137);
  });

  it("caps output so the response fits the message limit", async () => {
    const { exec } = await runningContainer(8192);
    const got = await exec(["echo", "x".repeat(10_000)]);
    assert.ok(got.out.length <= 4064, `stdout has ${got.out.length} bytes`);
  });

  it("refuses a created container with failed_precondition", async () => {
    const core = createMemoryRuntime({ gatewayUrl: () => "http://gw", maxMessageBytes: 1 << 20, settings: {}, images: ["busybox"] });
    const { podSandboxId } = await core.runPodSandbox(create(RunPodSandboxRequestSchema, { config: { metadata: { name: "p" } } }), ctx);
    const { containerId } = await core.createContainer(
      create(CreateContainerRequestSchema, { podSandboxId, config: { metadata: { name: "c" }, image: { image: "busybox" } } }),
      ctx,
    );
    await assert.rejects(core.execSync(create(ExecSyncRequestSchema, { containerId, cmd: ["true"] }), ctx), (err: unknown) =>
      isCoreError(err, "failed_precondition"),
    );
  });
});
