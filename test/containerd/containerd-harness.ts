/**
 * Starts a real containerd (Debian's 1.6, with runc) for tests: root, state,
 * sockets and CNI dirs under a short temp dir, a config this file writes,
 * and two small images built here from Debian's busybox-static (nothing is
 * downloaded). The images are served by a tiny read-only OCI registry on
 * loopback that containerd's CRI plugin uses as the mirror of `localhost`,
 * so PullImage works for real (the contract suite pulls, removes and pulls
 * again) and the pause image is pulled from it on the first RunPodSandbox.
 *
 * No CNI is configured: pods must use the host network (NetworkReady is false).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";

/** The sandbox (pause) image containerd is configured with. */
export const pauseImage = "localhost/pause:test";
/** A busybox image with sh, echo, sleep, … on PATH. */
export const busyboxImage = "localhost/busybox:test";

const busyboxPath = "/bin/busybox";
const applets = ["sh", "echo", "sleep", "cat", "ls", "true", "false", "env", "hostname", "ps"];

/** Why the containerd tests cannot run here, or undefined when they can. */
export function containerdSkipReason(): string | undefined {
  if (process.platform !== "linux") return "containerd tests need Linux";
  if (process.getuid?.() !== 0) return "containerd tests need root (containerd and runc create namespaces and cgroups)";
  for (const tool of ["containerd", "runc"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) {
      return `${tool} is not installed (Debian packages containerd and runc; .ci/run installs them)`;
    }
  }
  if (!existsSync(busyboxPath) || spawnSync(busyboxPath, ["--help"]).status === null) {
    return `${busyboxPath} is missing (Debian package busybox-static; .ci/run installs it)`;
  }
  const ldd = spawnSync("ldd", [busyboxPath], { encoding: "utf8" });
  if (ldd.status === 0 && !/not a dynamic|statically linked/.test(ldd.stdout + ldd.stderr)) {
    return `${busyboxPath} is dynamically linked; the image needs busybox-static`;
  }
  return undefined;
}

export interface Containerd {
  /** The CRI endpoint, `unix:///…/c.sock`. */
  readonly endpoint: string;
  readonly socket: string;
  /**
   * A cgroup parent for pod sandboxes (cgroupfs driver), removed by stop().
   * containerd 1.6 cannot report pod sandbox stats without one (the kubelet
   * always sets it).
   */
  readonly cgroupParent: string;
  /** containerd's log so far (for failure messages). */
  log(): string;
  /**
   * SIGKILL the containerd process the harness started (its pid only; shims
   * and containers live on) and wait for it to exit. For fault tests.
   */
  kill(): Promise<void>;
  /**
   * Start containerd again with the same config, root, state and socket
   * (after kill()); waits (at most `startMs`) until its socket answers.
   */
  restart(options?: { startMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

const sha256 = (data: Buffer | string): string => `sha256:${createHash("sha256").update(data).digest("hex")}`;

interface Blob {
  readonly data: Buffer;
  readonly mediaType: string;
}

/** Build the layer once and an image (config + manifest) per entrypoint; returns blobs and tag → manifest digest. */
async function buildImages(dir: string): Promise<{ blobs: Map<string, Blob>; tags: Map<string, string> }> {
  const rootfs = join(dir, "rootfs");
  await mkdir(join(rootfs, "bin"), { recursive: true });
  await mkdir(join(rootfs, "tmp"), { recursive: true });
  await writeFile(join(rootfs, "bin", "busybox"), await readFile(busyboxPath), { mode: 0o755 });
  for (const applet of applets) await symlink("busybox", join(rootfs, "bin", applet));
  const tarPath = join(dir, "layer.tar");
  const tar = spawnSync("tar", ["--numeric-owner", "--owner=0", "--group=0", "-C", rootfs, "-cf", tarPath, "bin", "tmp"], {
    encoding: "utf8",
  });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  const layerTar = await readFile(tarPath);
  const layer = gzipSync(layerTar);
  const blobs = new Map<string, Blob>();
  const put = (data: Buffer, mediaType: string) => {
    const digest = sha256(data);
    blobs.set(digest, { data, mediaType });
    return { mediaType, digest, size: data.length };
  };
  const layerDesc = put(layer, "application/vnd.oci.image.layer.v1.tar+gzip");
  const tags = new Map<string, string>();
  const image = (tag: string, entrypoint: string[]) => {
    const config = Buffer.from(
      JSON.stringify({
        created: "2024-01-01T00:00:00Z",
        architecture: process.arch === "arm64" ? "arm64" : "amd64",
        os: "linux",
        config: { Env: ["PATH=/bin"], Entrypoint: entrypoint, WorkingDir: "/", Labels: { "cri-gateway.test/image": tag } },
        rootfs: { type: "layers", diff_ids: [sha256(layerTar)] },
        history: [{ created: "2024-01-01T00:00:00Z", created_by: "cri-gateway test harness" }],
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: put(config, "application/vnd.oci.image.config.v1+json"),
        layers: [layerDesc],
      }),
    );
    tags.set(tag, put(manifest, "application/vnd.oci.image.manifest.v1+json").digest);
  };
  image("pause:test", ["/bin/sleep", "3600000"]);
  image("busybox:test", ["/bin/sh"]);
  return { blobs, tags };
}

/** A read-only OCI distribution registry serving `blobs` under `localhost/<name>:<tag>`. */
async function startRegistry(blobs: Map<string, Blob>, tags: Map<string, string>): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/v2/" || url.pathname === "/v2") {
      res.writeHead(200, { "content-type": "application/json", "docker-distribution-api-version": "registry/2.0" });
      res.end("{}");
      return;
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    const ref = match?.[3];
    const digest = match === null || ref === undefined ? undefined : ref.startsWith("sha256:") ? ref : tags.get(`${match[1]}:${ref}`);
    const blob = digest === undefined ? undefined : blobs.get(digest);
    if (blob === undefined || digest === undefined) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "unknown" }] }));
      return;
    }
    res.writeHead(200, {
      "content-type": match?.[2] === "manifests" ? blob.mediaType : "application/octet-stream",
      "content-length": blob.data.length,
      "docker-content-digest": digest,
    });
    res.end(req.method === "HEAD" ? undefined : blob.data);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return server;
}

function configToml(dir: string, registryPort: number): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "${dir}/c.sock"
[ttrpc]
  address = "${dir}/c.sock.ttrpc"
[debug]
  level = "info"

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"

[${cri}]
  sandbox_image = "${pauseImage}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [${cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [${cri}.cni]
    bin_dir = "${dir}/cni-bin"
    conf_dir = "${dir}/cni-conf"
  [${cri}.registry.mirrors."localhost"]
    endpoint = ["http://127.0.0.1:${registryPort}"]
`;
}

async function canConnect(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = connect(socket);
    conn.once("connect", () => {
      conn.destroy();
      resolve(true);
    });
    conn.once("error", () => resolve(false));
  });
}

/**
 * SIGKILL what is left of the shims this containerd started (found by their
 * `-address <socket>` argument, unique to this temp dir) and their children.
 */
function killShimsOf(socket: string): void {
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (!/containerd-shim/.test(args[0] ?? "") || args[args.indexOf("-address") + 1] !== socket) continue;
    const children = spawnSync("pgrep", ["-P", pid], { encoding: "utf8" }).stdout?.split("\n").filter((c) => c !== "") ?? [];
    for (const target of [...children, pid]) {
      try {
        process.kill(Number(target), "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

/** Start containerd in a fresh temp dir; waits (at most `startMs`) until its socket answers. */
export async function startContainerd({ startMs = 20_000 }: { startMs?: number } = {}): Promise<Containerd> {
  // Short: unix socket paths must stay under 108 bytes.
  const dir = await mkdtemp(join(tmpdir(), "ctrd-"));
  let child: ChildProcess | undefined;
  let registry: Server | undefined;
  let output = "";
  const socket = join(dir, "c.sock");
  const cgroupParent = `/cri-gateway-test-${basename(dir)}`;

  const stop = async () => {
    const running = child !== undefined && child.exitCode === null && child.signalCode === null;
    if (running) {
      // Containers outlive containerd (each has its shim): kill and delete every task first.
      const ctr = (...args: string[]) =>
        spawnSync("ctr", ["--address", socket, "--namespace", "k8s.io", ...args], { encoding: "utf8", timeout: 10_000 });
      for (const id of ctr("tasks", "ls", "-q").stdout?.split("\n").filter((line) => line !== "") ?? []) {
        ctr("tasks", "rm", "-f", id);
      }
    }
    killShimsOf(socket);
    if (running && child !== undefined) {
      const exited = new Promise<void>((resolve) => child?.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child?.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    killShimsOf(socket);
    await new Promise<void>((resolve) => (registry === undefined ? resolve() : registry.close(() => resolve())));
    registry?.closeAllConnections();
    // Killed shims leave their sockets in /run/containerd/s; each task dir names its shim's address.
    const tasks = join(dir, "state", "io.containerd.runtime.v2.task", "k8s.io");
    for (const id of existsSync(tasks) ? readdirSync(tasks) : []) {
      try {
        const address = readFileSync(join(tasks, id, "address"), "utf8").trim().replace(/^unix:\/\//, "");
        if (address.startsWith("/run/containerd/s/")) await rm(address, { force: true });
      } catch {
        // no address file: the shim never started
      }
    }
    // Shims of containers that outlived their pods keep mounts under root/; unmount before removal.
    spawnSync("sh", ["-c", `grep -o ' ${dir}/[^ ]*' /proc/self/mounts | sort -r | xargs -r -n1 umount -l`]);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
    // Empty once every container is gone; rmdir (not rm -r) is how cgroups are removed.
    spawnSync("sh", ["-c", `for d in /sys/fs/cgroup${cgroupParent} /sys/fs/cgroup/*${cgroupParent}; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} +; done; true`]);
  };

  const config = join(dir, "config.toml");
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  /** Spawn containerd on `config`; resolves once this process has booted and its socket answers. */
  const launch = async (limitMs: number) => {
    const proc = spawn("containerd", ["--config", config], { stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    let mine = "";
    let booted = false;
    // Never leave containerd behind when the test process exits without calling stop().
    const killOnExit = () => proc.kill("SIGKILL");
    process.once("exit", killOnExit);
    proc.once("exit", () => process.off("exit", killOnExit));
    const watch = (chunk: Buffer) => {
      append(chunk);
      if (booted) return;
      // Only this process's output (a line may span chunks).
      mine = (mine + chunk.toString()).slice(-10_000);
      booted = /containerd successfully booted/.test(mine);
    };
    proc.stdout?.on("data", watch);
    proc.stderr?.on("data", watch);
    const started = Date.now();
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`containerd exited early:\n${output.slice(-4000)}`);
      if (booted && existsSync(socket) && (await canConnect(socket))) break;
      if (Date.now() - started > limitMs) throw new Error(`containerd did not serve ${socket} within ${limitMs} ms:\n${output.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const kill = async () => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGKILL");
    await exited;
  };

  const restart = async ({ startMs: limitMs = startMs }: { startMs?: number } = {}) => {
    await kill();
    await launch(limitMs);
  };

  try {
    const { blobs, tags } = await buildImages(join(dir, "image"));
    registry = await startRegistry(blobs, tags);
    await mkdir(join(dir, "cni-bin"));
    await mkdir(join(dir, "cni-conf"));
    await writeFile(config, configToml(dir, (registry.address() as AddressInfo).port));
    await launch(startMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint: `unix://${socket}`, socket, cgroupParent, log: () => output, kill, restart, stop };
}
