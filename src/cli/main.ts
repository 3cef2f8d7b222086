#!/usr/bin/env node
/**
 * The `cri-gateway` command: parse argv, start the gateway, print a ready
 * line, and shut down cleanly on SIGTERM/SIGINT.
 */
import { parseArgs } from "node:util";
import { builtinCoreNames } from "../core/registry.js";
import { defaultGraceMs, defaultMaxMessageBytes, startGateway } from "../gateway.js";
import { type LogLevel, log } from "../observability/logger.js";
import { gatewayVersion } from "../version.js";
import { defaultStreamTokenTtlMs } from "../streaming/index.js";
import { parseListenAddress } from "./parse-address.js";
import { runStreamCommand } from "./stream-command.js";

/** Default TCP address: loopback only. */
export const defaultListen = "127.0.0.1:7070";

const usage = `cri-gateway ${gatewayVersion}: every Kubernetes CRI method over gRPC, gRPC-Web and Connect

Usage:
  cri-gateway serve [options]
  cri-gateway stream URL     connect this terminal to a URL from Exec or Attach
                             (WebSocket, v5/v4.channel.k8s.io); exits with the command's code
  cri-gateway --help | --version

Options:
  --listen HOST:PORT       TCP address ([::1]:PORT for IPv6, "none" to disable)
                           (default ${defaultListen}; loopback only unless you say otherwise)
  --socket PATH            also serve on this unix socket (mode 0600), for crictl/kubelet
  --socket-mode MODE       octal permission bits of the socket file (default 600)
  --runtime NAME|MODULE    runtime core: ${builtinCoreNames().join(", ")}, or a path to a module
                           exporting createRuntimeCore (default memory)
  --upstream URL           with --runtime remote: the CRI runtime to forward to,
                           unix:///path/to.sock or tcp://host:port
  --image-upstream URL     with --runtime remote: a separate ImageService endpoint
                           (default: the --upstream endpoint)
  --core-opt KEY=VALUE     setting passed to the runtime core (repeatable)
  --allowed-host NAME      a host name TCP clients may use besides localhost and loopback
                           addresses (repeatable; guards against DNS rebinding)
  --max-connections N      most connections open at once per listener (default 1024)
  --tls-cert FILE          serve TLS (h2 and http/1.1 by ALPN) on the TCP port
  --tls-key FILE           private key for --tls-cert
  --tls-client-ca FILE     require client certificates signed by this CA (mTLS)
  --max-message-bytes N    largest message accepted or sent (default ${defaultMaxMessageBytes})
  --grace-period-ms N      how long shutdown waits for in-flight calls (default ${defaultGraceMs})
  --stream-token-ttl-ms N  how long a proxied Exec/Attach/PortForward URL stays valid
                           (default ${defaultStreamTokenTtlMs}; single use)
  --log-level LEVEL        debug, info, warn, error or silent (default info)
  -h, --help               show this help
  -v, --version            print the version
`;

/** Parse argv and run. Returns the process exit code for usage errors. */
export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`cri-gateway: ${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(usage);
    return 0;
  }
  if (values.version === true) {
    process.stdout.write(`${gatewayVersion}\n`);
    return 0;
  }
  if (positionals[0] === "stream" && positionals.length === 2) {
    return await runStreamCommand(positionals[1] as string);
  }
  if (positionals.length !== 1 || positionals[0] !== "serve") {
    process.stderr.write(`cri-gateway: expected the command "serve" or "stream URL"\n\n${usage}`);
    return 2;
  }
  let options: Parameters<typeof startGateway>[0];
  try {
    options = toGatewayOptions(values);
  } catch (err) {
    process.stderr.write(`cri-gateway: ${(err as Error).message}\n`);
    return 2;
  }
  if (values["log-level"] !== undefined) log.setLevel(values["log-level"] as LogLevel);

  const gateway = await startGateway(options);
  const where = [gateway.url, gateway.socketPath && `unix://${gateway.socketPath}`].filter(Boolean).join(" ");
  process.stdout.write(`cri-gateway ready: runtime=${gateway.core.name} listening on ${where}\n`);
  if (gateway.url !== undefined) {
    process.stdout.write(
      `try: curl -s -X POST -H 'Content-Type: application/json' -d '{}' ${gateway.url}/runtime.v1.RuntimeService/Version\n`,
    );
  }

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info("shutting down", { signal });
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      gateway.close().then(resolve, (err: unknown) => {
        log.error("shutdown failed", { error: String(err) });
        resolve();
      });
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
  });
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      listen: { type: "string" },
      socket: { type: "string" },
      "socket-mode": { type: "string" },
      runtime: { type: "string" },
      upstream: { type: "string" },
      "image-upstream": { type: "string" },
      "core-opt": { type: "string", multiple: true },
      "allowed-host": { type: "string", multiple: true },
      "max-connections": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-client-ca": { type: "string" },
      "max-message-bytes": { type: "string" },
      "grace-period-ms": { type: "string" },
      "stream-token-ttl-ms": { type: "string" },
      "log-level": { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
}

function toGatewayOptions(values: ReturnType<typeof parse>["values"]): Parameters<typeof startGateway>[0] {
  const tcp = parseListenAddress(values.listen ?? defaultListen);
  if (tcp === undefined && values.socket === undefined) {
    throw new Error("--listen none needs --socket: there would be nothing to serve on");
  }
  const coreSettings: Record<string, string> = {};
  for (const kv of values["core-opt"] ?? []) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new Error(`invalid --core-opt "${kv}": expected KEY=VALUE`);
    coreSettings[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (values.upstream !== undefined) coreSettings.upstream = values.upstream;
  if (values["image-upstream"] !== undefined) coreSettings["image-upstream"] = values["image-upstream"];
  if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) {
    throw new Error("--tls-cert and --tls-key go together");
  }
  const level = values["log-level"];
  if (level !== undefined && !["debug", "info", "warn", "error", "silent"].includes(level)) {
    throw new Error(`invalid --log-level "${level}"`);
  }
  return {
    tcp,
    socket: values.socket,
    socketMode: values["socket-mode"] === undefined ? undefined : parseMode(values["socket-mode"]),
    runtime: values.runtime,
    coreSettings,
    tls:
      values["tls-cert"] === undefined || values["tls-key"] === undefined
        ? undefined
        : { certFile: values["tls-cert"], keyFile: values["tls-key"], clientCaFile: values["tls-client-ca"] },
    maxMessageBytes: parseWholeNumber(values["max-message-bytes"], "--max-message-bytes"),
    graceMs: parseWholeNumber(values["grace-period-ms"], "--grace-period-ms"),
    allowedHosts: values["allowed-host"],
    maxConnections: parseWholeNumber(values["max-connections"], "--max-connections"),
    streamTokenTtlMs: parsePositive(values["stream-token-ttl-ms"], "--stream-token-ttl-ms"),
  };
}

function parseMode(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new Error(`invalid --socket-mode "${value}": expected octal like 600`);
  return Number.parseInt(value, 8);
}

function parsePositive(value: string | undefined, flag: string): number | undefined {
  const n = parseWholeNumber(value, flag);
  if (n === 0) throw new Error(`invalid ${flag} "${value}": expected a positive whole number`);
  return n;
}

function parseWholeNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`invalid ${flag} "${value}": expected a whole number`);
  return n;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`cri-gateway: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
