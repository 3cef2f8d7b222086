/**
 * Builds and starts section D's comparison point: a Go JSON gateway made with
 * Debian's grpc-gateway 1.6.4 (`go-gateway/main.go`), compiled offline in
 * GOPATH mode with Debian's Go from /usr/share/gocode, like the grpc-go
 * interop client in test/interop/go-grpc.test.ts.
 *
 * Debian's golang-github-grpc-ecosystem-grpc-gateway-dev cannot be installed
 * next to the Go gRPC toolchain the interop tests use: it depends on
 * golang-goprotobuf-dev (golang/protobuf 1.3), and apt removes
 * golang-github-golang-protobuf-1-5-dev and protoc-gen-go to install it. So
 * unless it is already installed, the bench fetches that one .deb with
 * `apt-get download` (from the configured Debian archive) into a cache dir
 * and unpacks it with `dpkg-deb -x`; its sources then sit in an extra GOPATH
 * entry, and build against golang/protobuf 1.5's APIv1 shim.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { ImageService, RuntimeService } from "../gen/runtime/v1/api_pb.js";
import { criProtoFile, writeProtoForDebianProtoc } from "../test/interop/proto-for-debian-protoc.js";
import { describeResult, onPath, runCommand } from "../test/interop/run-command.js";
import { serverCore, spawnPinned, waitForExit, waitForLine } from "./proc.js";
import { debianGocode, offlineGoEnv } from "../test/interop/go-env.js";

const gocode = debianGocode;
const grpcGatewayPackage = "golang-github-grpc-ecosystem-grpc-gateway-dev";
const grpcGatewayImport = "github.com/grpc-ecosystem/grpc-gateway";

/** Where an unpacked grpc-gateway .deb is kept between runs. */
export const goGatewayCacheDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "cri-gateway-bench", "grpc-gateway-deb");

/** What the build needs besides grpc-gateway itself, and the Debian package providing it. */
const requirements: ReadonlyArray<{ present: () => boolean; what: string; pkg: string }> = [
  { present: () => onPath("go"), what: "go", pkg: "golang-go" },
  { present: () => onPath("protoc"), what: "protoc", pkg: "protobuf-compiler" },
  { present: () => onPath("protoc-gen-go"), what: "protoc-gen-go", pkg: "protoc-gen-go" },
  { present: () => onPath("protoc-gen-go-grpc"), what: "protoc-gen-go-grpc", pkg: "protoc-gen-go-grpc" },
  { present: () => onPath("dpkg-deb"), what: "dpkg-deb", pkg: "dpkg" },
  ...(
    [
      ["google.golang.org/grpc", "golang-google-grpc-dev"],
      ["google.golang.org/protobuf", "golang-google-protobuf-dev"],
      ["github.com/golang/protobuf/proto/registry.go", "golang-github-golang-protobuf-1-5-dev"],
      ["google.golang.org/genproto/googleapis/api/annotations", "golang-google-genproto-dev"],
      ["github.com/golang/glog", "golang-glog-dev"],
      ["golang.org/x/net/context", "golang-golang-x-net-dev"],
      // protoc-gen-grpc-gateway reads grpc_api_configuration YAML with it.
      ["github.com/ghodss/yaml", "golang-github-ghodss-yaml-dev"],
      ["gopkg.in/yaml.v2", "golang-gopkg-yaml.v2-dev"],
    ] as const
  ).map(([path, pkg]) => ({ present: () => existsSync(join(gocode, "src", path)), what: `${gocode}/src/${path}`, pkg })),
];

/** Why the Go gateway cannot be built here (a missing tool or package), or undefined. */
export function goGatewaySkipReason(): string | undefined {
  const missing = requirements.filter((r) => !r.present());
  if (missing.length === 0) return undefined;
  return `needs Debian's Go gRPC toolchain; missing ${missing.map((r) => `${r.what} (${r.pkg})`).join(", ")}`;
}

/**
 * The GOPATH entry holding grpc-gateway's sources: /usr/share/gocode when the
 * package is installed, else the unpacked .deb in the cache (fetched now with
 * `apt-get download` if absent).
 */
async function grpcGatewayGopath(work: string, progress: (line: string) => void): Promise<string> {
  if (existsSync(join(gocode, "src", grpcGatewayImport, "runtime"))) return gocode;
  const cached = join(goGatewayCacheDir, "usr", "share", "gocode");
  if (existsSync(join(cached, "src", grpcGatewayImport, "runtime"))) return cached;
  progress(`D: fetching ${grpcGatewayPackage} with apt-get download (not installable next to golang-github-golang-protobuf-1-5-dev)`);
  const debs = join(work, "debs");
  await mkdir(debs, { recursive: true });
  const download = await runCommand("apt-get", ["download", grpcGatewayPackage], { cwd: debs, timeoutMs: 120_000 });
  const deb = (await readdir(debs)).find((f) => f.endsWith(".deb"));
  if (download.code !== 0 || deb === undefined) {
    throw new Error(`${describeResult(`apt-get download ${grpcGatewayPackage}`, download)}\n(run apt-get update first?)`);
  }
  await rm(goGatewayCacheDir, { recursive: true, force: true });
  await mkdir(goGatewayCacheDir, { recursive: true });
  execFileSync("dpkg-deb", ["-x", join(debs, deb), goGatewayCacheDir], { stdio: "ignore", timeout: 60_000 });
  return cached;
}

/** The grpc_api_configuration: every unary method of both services as `POST /<service>/<Method>`, body "*". */
export function grpcApiConfiguration(services: readonly DescService[] = [RuntimeService, ImageService]): string {
  const rules = services.flatMap((service) =>
    service.methods
      .filter((m) => m.methodKind === "unary")
      .map((m) => `  - selector: ${service.typeName}.${m.name}\n    post: /${service.typeName}/${m.name}\n    body: "*"\n`),
  );
  return `type: google.api.Service\nconfig_version: 3\nhttp:\n  rules:\n${rules.join("")}`;
}

/**
 * Generate the stubs and the gateway handlers, and compile the Go gateway in
 * `work` (bounded: each step has a time limit). Returns the binary's path.
 * Throws with the failing step's output.
 */
export async function buildGoGateway(work: string, progress: (line: string) => void): Promise<string> {
  await mkdir(work, { recursive: true });
  const grpcGateway = await grpcGatewayGopath(work, progress);
  const gopath = await mkdtemp(join(work, "gopath-"));
  const env = offlineGoEnv(work, grpcGateway === gocode ? [gopath] : [gopath, grpcGateway]);
  const step = async (what: string, file: string, args: readonly string[]) => {
    const result = await runCommand(file, args, { cwd: work, env, timeoutMs: 150_000 });
    if (result.code !== 0) throw new Error(describeResult(what, result));
  };

  const plugin = join(work, "bin", "protoc-gen-grpc-gateway");
  await step("go build protoc-gen-grpc-gateway", "go", ["build", "-o", plugin, `${grpcGatewayImport}/protoc-gen-grpc-gateway`]);

  const includeRoot = await writeProtoForDebianProtoc(join(work, "proto"));
  const config = join(work, "grpc-api-configuration.yaml");
  await writeFile(config, grpcApiConfiguration());
  const src = join(gopath, "src");
  await mkdir(src, { recursive: true });
  // go_package is k8s.io/cri-api/pkg/apis/runtime/v1: all three outputs land in that package.
  await step("protoc --go_out --go-grpc_out --grpc-gateway_out", "protoc", [
    `-I${includeRoot}`,
    `--plugin=protoc-gen-grpc-gateway=${plugin}`,
    `--go_out=${src}`,
    `--go-grpc_out=${src}`,
    `--grpc-gateway_out=logtostderr=true,grpc_api_configuration=${config}:${src}`,
    criProtoFile,
  ]);

  await mkdir(join(src, "crigogateway"), { recursive: true });
  await copyFile(join(import.meta.dirname, "go-gateway", "main.go"), join(src, "crigogateway", "main.go"));
  const binary = join(work, "bin", "cri-go-gateway");
  await step("go build cri-go-gateway (GOPATH mode, Debian sources)", "go", ["build", "-o", binary, "crigogateway"]);
  return binary;
}

/** A running Go gateway. */
export interface GoGatewayProcess {
  readonly pid: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  stop(): Promise<void>;
}

/** Start the built Go gateway pinned to the server core, in front of containerd's `socket`. */
export async function startGoGateway(binary: string, socket: string): Promise<GoGatewayProcess> {
  const child: ChildProcess = spawnPinned(serverCore, binary, ["-upstream", socket, "-listen", "127.0.0.1:0"], { stdin: "pipe" });
  const pid = child.pid;
  if (pid === undefined) throw new Error("cannot start cri-go-gateway");
  try {
    const { value: url } = await waitForLine(child, (line) => {
      try {
        const ready = JSON.parse(line) as { ready?: boolean; url?: string };
        return ready.ready === true ? ready.url : undefined;
      } catch {
        return undefined;
      }
    });
    // Keep the pipe drained so a chatty child never blocks.
    child.stdout?.resume();
    child.stderr?.resume();
    return {
      pid,
      url,
      async stop() {
        child.stdin?.end();
        child.kill("SIGTERM");
        await waitForExit(child, 5000);
      },
    };
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
}
