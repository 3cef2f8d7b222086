/**
 * Container logs from a real containerd (1.6, from the harness) through the
 * gateway's remote core: a busybox container writes a line a second; the
 * gateway's LogService follows the file containerd writes (ContainerStatus
 * log_path), keeps following when the kubelet's rotation happens (rename
 * log_path away, then ReopenContainerLog) and ends once StopContainer has
 * stopped the container.
 */
import assert from "node:assert/strict";
import { existsSync, renameSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "@connectrpc/connect";
import { LogService } from "../../gen/crigateway/v1/logs_pb.js";
import { ImageService, NamespaceMode, RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import { createTransport } from "../helpers/cri-clients.js";
import { type TestGateway, startTestGateway } from "../helpers/start-gateway.js";
import { busyboxImage, type Containerd, containerdSkipReason, pauseImage, startContainerd } from "./containerd-harness.js";

const skipReason = containerdSkipReason();
const callOptions = { timeoutMs: 30_000 };

describe("container logs from containerd", { skip: skipReason, timeout: 180_000 }, () => {
  let containerd: Containerd;
  let gateway: TestGateway;
  let runtime: Client<typeof RuntimeService>;
  let logs: Client<typeof LogService>;
  let close = () => {};
  let podSandboxId = "";
  let containerId = "";
  let logDirectory = "";

  before(async () => {
    containerd = await startContainerd();
    gateway = await startTestGateway({ runtime: "remote", coreSettings: { upstream: containerd.endpoint } });
    const made = createTransport(gateway, { protocol: "grpc", via: "tcp", httpVersion: "2" });
    close = made.close;
    runtime = createClient(RuntimeService, made.transport);
    logs = createClient(LogService, made.transport);
    const image = createClient(ImageService, made.transport);
    for (const ref of [busyboxImage, pauseImage]) await image.pullImage({ image: { image: ref } }, callOptions);
    logDirectory = await mkdtemp(join(tmpdir(), "crigw-pod-logs-"));
    const config = {
      metadata: { name: "logs", namespace: "logs-test", uid: "logs-uid", attempt: 0 },
      logDirectory,
      linux: { cgroupParent: containerd.cgroupParent, securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } },
    };
    podSandboxId = (await runtime.runPodSandbox({ config }, callOptions)).podSandboxId;
    containerId = (
      await runtime.createContainer(
        {
          podSandboxId,
          config: {
            metadata: { name: "counter", attempt: 0 },
            image: { image: busyboxImage },
            command: ["sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 1; done"],
            logPath: "counter/0.log",
            linux: {},
          },
          sandboxConfig: config,
        },
        callOptions,
      )
    ).containerId;
    await runtime.startContainer({ containerId }, callOptions);
  });

  after(async () => {
    if (podSandboxId !== "") {
      await runtime.stopPodSandbox({ podSandboxId }, callOptions).catch(() => {});
      await runtime.removePodSandbox({ podSandboxId }, callOptions).catch(() => {});
    }
    close();
    await gateway?.close();
    await containerd?.stop();
    if (logDirectory !== "") await rm(logDirectory, { recursive: true, force: true });
  });

  it("ContainerStatus reports the log path under the sandbox's log directory", async () => {
    const { status } = await runtime.containerStatus({ containerId }, callOptions);
    assert.equal(status?.logPath, join(logDirectory, "counter/0.log"));
  });

  it("follows the counter across a rename + ReopenContainerLog, and ends after StopContainer", async () => {
    const path = join(logDirectory, "counter/0.log");
    const seen: string[] = [];
    const following = (async () => {
      for await (const batch of logs.readLogs({ containerId, follow: true })) {
        for (const e of batch.entries) seen.push(e.content.case === "text" ? e.content.value : "");
      }
    })();
    const waitLines = async (count: number) => {
      const until = Date.now() + 20_000;
      while (seen.length < count) {
        if (Date.now() > until) throw new Error(`only ${seen.length} lines: ${seen.join(", ")}`);
        await delay(50);
      }
    };
    await waitLines(2);
    // The kubelet's rotation: rename the file, then ask the runtime to reopen.
    renameSync(path, `${path}.20240501-100000`);
    await runtime.reopenContainerLog({ containerId }, callOptions);
    assert.ok(existsSync(path), "containerd opened a new file at log_path");
    const atRotation = seen.length;
    await waitLines(atRotation + 3);
    await runtime.stopContainer({ containerId, timeout: 2n }, callOptions);
    await following; // ends by itself: the container is no longer running
    // Every line, none lost or repeated across the rotation.
    assert.deepEqual(
      seen,
      seen.map((_, i) => `line ${i}`),
    );
  });
});
