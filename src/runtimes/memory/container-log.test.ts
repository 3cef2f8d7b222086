import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { after, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ReadLogsRequestSchema } from "../../../gen/crigateway/v1/logs_pb.js";
import {
  CreateContainerRequestSchema,
  ReopenContainerLogRequestSchema,
  RunPodSandboxRequestSchema,
  StartContainerRequestSchema,
  StopContainerRequestSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../core/call-context.js";
import { isCoreError } from "../../core/core-error.js";
import { createLogReader } from "../../logs/index.js";
import { parseCriLine } from "../../logs/log-line.js";
import { createMemoryRuntime } from "./index.js";

const ctx = createCallContext();
const root = mkdtempSync(join(tmpdir(), "cri-memlogs-"));
after(() => rmSync(root, { recursive: true, force: true }));

async function setup(logDirectory: string, command: string[], logPath = "app/0.log") {
  const core = createMemoryRuntime({ gatewayUrl: () => "http://gw.test:7070/", maxMessageBytes: 1 << 20, settings: {}, images: ["busybox"] });
  const { podSandboxId } = await core.runPodSandbox(
    create(RunPodSandboxRequestSchema, { config: { metadata: { name: "p", namespace: "ns", uid: "u" }, logDirectory } }),
    ctx,
  );
  const { containerId } = await core.createContainer(
    create(CreateContainerRequestSchema, {
      podSandboxId,
      config: { metadata: { name: "app" }, image: { image: "busybox" }, command, logPath },
    }),
    ctx,
  );
  await core.startContainer(create(StartContainerRequestSchema, { containerId }), ctx);
  return { core, containerId, path: join(logDirectory, logPath) };
}

/** The file's lines, each checked to be a valid CRI record. */
function records(path: string) {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const r = parseCriLine(Buffer.from(`${l}\n`));
      assert.ok(typeof r !== "string", `"${l}" is not a CRI log line: ${String(r)}`);
      return r;
    });
}

describe("memory runtime container logs", () => {
  it("writes the main command's output as CRI lines at log_directory + log_path", async () => {
    const dir = join(root, "echo");
    const { core, path, containerId } = await setup(dir, ["sh", "-c", "echo hello; nosuch"]);
    await delay(20);
    assert.deepEqual(
      records(path).map((r) => [r.stream, r.partial, r.content.toString()]),
      [
        ["stdout", false, "hello\n"],
        ["stderr", false, "nosuch: command not found\n"],
      ],
    );
    await core.stopContainer(create(StopContainerRequestSchema, { containerId }), ctx);

    const dir2 = join(root, "echo2");
    const two = await setup(dir2, ["echo", "hello", "world"]);
    await delay(20);
    const got = records(two.path);
    assert.deepEqual(got.map((r) => [r.stream, r.partial, r.content.toString()]), [["stdout", false, "hello world\n"]]);
    await two.core.close();
  });

  it("writes nothing without a log directory, and never outside it", async () => {
    const none = await setup("", ["echo", "hi"]);
    await none.core.close();
    const dir = join(root, "escape");
    const out = await setup(dir, ["echo", "hi"], "../escaped.log");
    await delay(20);
    assert.equal(existsSync(join(root, "escaped.log")), false);
    await out.core.close();
  });

  it("a looping container keeps writing; ReopenContainerLog rotates; the reader follows it all until stop", async () => {
    const dir = join(root, "loop");
    const { core, containerId, path } = await setup(dir, ["sh", "-c", "echo start; while true; do echo tick; sleep 0.05; done"]);
    const reader = createLogReader({ core, pollMs: 50 });
    const seen: string[] = [];
    const following = (async () => {
      const request = create(ReadLogsRequestSchema, { containerId: containerId.slice(0, 8), follow: true });
      for await (const batch of reader.readLogs(request, ctx)) {
        for (const e of batch.entries) seen.push(e.content.case === "text" ? e.content.value : "?");
      }
    })();
    await waitFor(() => seen.length >= 3);
    renameSync(path, `${path}.1`);
    await core.reopenContainerLog(create(ReopenContainerLogRequestSchema, { containerId }), ctx);
    assert.ok(existsSync(path), "the runtime opened log_path anew");
    const before = seen.length;
    await waitFor(() => seen.length >= before + 3);
    assert.ok(records(path).length >= 1, "new lines go to the new file");
    await core.stopContainer(create(StopContainerRequestSchema, { containerId }), ctx);
    await following;
    assert.equal(seen[0], "start");
    assert.ok(seen.slice(1).every((t) => t === "tick"));
    // Everything in both files was read, in order.
    assert.equal(seen.length, records(`${path}.1`).length + records(path).length);
    const size = readFileSync(path).length;
    await delay(120);
    assert.equal(readFileSync(path).length, size, "a stopped container writes no more");
    await core.close();
  });

  it("the log service refuses an unknown container (not_found) and one without a log path (failed_precondition)", async () => {
    const { core, containerId } = await setup("", ["echo", "hi"]);
    const reader = createLogReader({ core });
    const read = async (id: string) => {
      for await (const _ of reader.readLogs(create(ReadLogsRequestSchema, { containerId: id }), ctx)) {
        // drain
      }
    };
    await assert.rejects(read("f00ba4"), (err: unknown) => isCoreError(err, "not_found"));
    await assert.rejects(read(containerId), (err: unknown) => isCoreError(err, "failed_precondition") && /no log path/.test(err.message));
    await assert.rejects(read(""), (err: unknown) => isCoreError(err, "invalid_argument"));
    await core.close();
  });

  it("the log service refuses a log path that leaves the pod's log directory", async () => {
    const dir = join(root, "trav");
    const { core, containerId } = await setup(dir, ["echo", "hi"], "../../etc/passwd");
    const reader = createLogReader({ core });
    await assert.rejects(
      (async () => {
        for await (const _ of reader.readLogs(create(ReadLogsRequestSchema, { containerId }), ctx)) {
          // drain
        }
      })(),
      (err: unknown) => isCoreError(err, "failed_precondition") && /outside its pod's log directory/.test(err.message) && !err.message.includes("passwd"),
    );
    await core.close();
  });
});

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await delay(10);
  }
}
