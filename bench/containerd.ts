/**
 * Section D's containerd: the test harness's containerd (Debian's 1.6 with
 * runc, temp dirs, locally built busybox image), made to also serve gRPC —
 * CRI included — on a loopback TCP port so h2load can load it directly,
 * pinned to the server core, and seeded with one host-network pod and 50
 * created containers.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { execFileSync } from "node:child_process";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ImageService, NamespaceMode, RuntimeService } from "../gen/runtime/v1/api_pb.js";
import { busyboxImage, type Containerd, startContainerd } from "../test/containerd/containerd-harness.js";
import { serverCore } from "./proc.js";

/** A running, seeded containerd for section D. */
export interface BenchContainerd {
  /** containerd's own pid (found by its config path); its threads are pinned to the server core. */
  readonly pid: number;
  /** containerd's unix socket (what the gateways dial). */
  readonly socket: string;
  /** `http://127.0.0.1:PORT`: containerd's gRPC (CRI included) on loopback TCP, for h2load. */
  readonly tcpUrl: string;
  /** Containers seeded (all in state created). */
  readonly containers: number;
  /** Stop containerd, its shims and the harness's registry; removes the temp dir. */
  stop(): Promise<void>;
}

/**
 * Start containerd through the test harness, turn on its TCP gRPC listener,
 * pin it to the server core, and create one host-network pod sandbox with
 * `containers` containers from the harness's busybox image.
 *
 * NOTE: the harness has no option for a TCP address, and its config text is
 * private. Rather than copy the harness, this edits the config.toml it wrote
 * (next to the socket) and uses the harness's own restart(). Two lines are
 * added: `[grpc] tcp_address`, and the CRI plugin's
 * `disable_tcp_service = false` — containerd 1.6 registers CRI on the TCP
 * server only when that is false (its default is true).
 */
export async function startBenchContainerd({
  containers = 50,
  progress,
}: { containers?: number; progress: (line: string) => void }): Promise<BenchContainerd> {
  const harness = await startContainerd();
  try {
    const port = await freeLoopbackPort();
    const config = join(dirname(harness.socket), "config.toml");
    const text = readFileSync(config, "utf8");
    const cri = '[plugins."io.containerd.grpc.v1.cri"]\n';
    if (!text.includes("[grpc]\n") || !text.includes(cri)) {
      throw new Error(`the harness's ${config} no longer has the [grpc] and CRI tables this bench edits`);
    }
    writeFileSync(
      config,
      text
        .replace("[grpc]\n", `[grpc]\n  tcp_address = "127.0.0.1:${port}"\n`)
        .replace(cri, `${cri}  disable_tcp_service = false\n`),
    );
    await harness.restart();
    const pid = findContainerdPid(config);
    // -a: every thread; threads the Go runtime starts later inherit the mask.
    execFileSync("taskset", ["-a", "-p", "-c", serverCore, String(pid)], { stdio: "ignore" });
    const tcpUrl = `http://127.0.0.1:${port}`;
    progress(`D: containerd pid ${pid} serves ${harness.socket} and ${tcpUrl}; seeding 1 pod and ${containers} containers`);
    await seed(tcpUrl, harness, containers);
    return { pid, socket: harness.socket, tcpUrl, containers, stop: () => harness.stop() };
  } catch (err) {
    await harness.stop();
    throw err;
  }
}

/** One host-network pod sandbox and `count` created (not started) busybox containers, kubelet-like labels. */
async function seed(tcpUrl: string, harness: Containerd, count: number): Promise<void> {
  const transport = createGrpcTransport({ baseUrl: tcpUrl });
  const runtime = createClient(RuntimeService, transport);
  const image = createClient(ImageService, transport);
  const call = { timeoutMs: 60_000 };
  await image.pullImage({ image: { image: busyboxImage } }, call);
  const pod = { name: "bench-0", namespace: "bench", uid: "6f1c2a7e-0000-4b1d-9e2f-000000000000" };
  const sandboxConfig = {
    metadata: { ...pod, attempt: 0 },
    // No CNI in the harness: host network, and an empty hostname as the kubelet sends for such pods.
    hostname: "",
    labels: { app: "bench", "io.kubernetes.pod.name": pod.name, "io.kubernetes.pod.namespace": pod.namespace, "io.kubernetes.pod.uid": pod.uid },
    annotations: { "kubernetes.io/config.source": "api" },
    // containerd 1.6 needs a cgroup parent for pod stats; the harness removes it on stop.
    linux: { cgroupParent: harness.cgroupParent, securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } },
  };
  const { podSandboxId } = await runtime.runPodSandbox({ config: sandboxConfig }, call);
  for (let j = 0; j < count; j++) {
    const name = `c${j}`;
    await runtime.createContainer(
      {
        podSandboxId,
        sandboxConfig,
        config: {
          metadata: { name, attempt: 0 },
          image: { image: busyboxImage },
          command: ["sleep", "3600"],
          envs: [
            { key: "POD_NAME", value: Buffer.from(pod.name) },
            { key: "POD_NAMESPACE", value: Buffer.from(pod.namespace) },
          ],
          labels: {
            "io.kubernetes.container.name": name,
            "io.kubernetes.pod.name": pod.name,
            "io.kubernetes.pod.namespace": pod.namespace,
            "io.kubernetes.pod.uid": pod.uid,
          },
          annotations: {
            "io.kubernetes.container.hash": (j * 31).toString(16).padStart(8, "0"),
            "io.kubernetes.container.restartCount": "0",
            "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
            "io.kubernetes.pod.terminationGracePeriod": "30",
          },
          logPath: `${name}/0.log`,
          linux: {},
        },
      },
      call,
    );
  }
}

/** The pid of the containerd started with `--config <config>` (unique: the config is in a fresh temp dir). */
function findContainerdPid(config: string): number {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (/(^|\/)containerd$/.test(args[0] ?? "") && args[args.indexOf("--config") + 1] === config) return Number(name);
  }
  throw new Error(`no containerd process runs with --config ${config}`);
}

/** An ephemeral loopback port that was free a moment ago (containerd binds it itself). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
