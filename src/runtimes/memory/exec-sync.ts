/**
 * ExecSync: runs a command in a running container through the simulated
 * shell, honouring the request timeout, the call's deadline and its abort
 * signal. The container sees its own env, hostname, /etc files and user.
 */
import { setTimeout as delay } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { ContainerState, ExecSyncResponseSchema } from "../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../core/core-error.js";
import type { RuntimeMethods } from "../../core/runtime-core.js";
import type { MemoryState } from "./state.js";
import { type ShellContext, runSimulatedCommand } from "./sim-shell.js";
import { containerConfigOf } from "./store/container-config.js";
import type { ContainerRecord } from "./store/container-store.js";
import { containerState, containerStateName } from "./store/container-store.js";
import type { SandboxRecord } from "./store/sandbox-store.js";

/** The CRI cap on each captured stream (ExecSyncResponse comment). */
const criOutputCap = 16 * 1024 * 1024;
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const envText = new TextDecoder();

/** Build the ExecSync verb over `state`. */
export function createExecSyncVerb(state: MemoryState): Pick<RuntimeMethods, "execSync"> {
  // Both streams together must fit one response under the message limit.
  const maxOutputBytes = Math.min(criOutputCap, Math.floor((state.options.maxMessageBytes - 64) / 2));

  return {
    async execSync(request, ctx) {
      const record = state.containers.resolve(request.containerId);
      const current = containerState(record);
      if (current !== ContainerState.CONTAINER_RUNNING) {
        throw new CoreError(
          "failed_precondition",
          `cannot exec in container "${record.id}": it is ${containerStateName(current)}`,
        );
      }
      if (request.cmd.length === 0) throw new CoreError("invalid_argument", "cmd must not be empty");
      if (request.timeout < 0n) throw new CoreError("invalid_argument", "timeout must not be negative");

      const timeoutSeconds = Number(request.timeout);
      const started = Date.now();
      const execDeadline = timeoutSeconds > 0 ? started + timeoutSeconds * 1000 : Number.POSITIVE_INFINITY;
      const callDeadline = ctx.deadline ?? Number.POSITIVE_INFINITY;

      const sleep = async (seconds: number): Promise<void> => {
        const until = Date.now() + seconds * 1000;
        const limit = Math.min(execDeadline, callDeadline);
        if (until <= limit) {
          await delay(seconds * 1000, undefined, { signal: ctx.signal });
          return;
        }
        await delay(Math.max(0, limit - Date.now()), undefined, { signal: ctx.signal });
        throw execDeadline <= callDeadline
          ? new CoreError("deadline_exceeded", `command timed out after ${timeoutSeconds}s`)
          : new CoreError("deadline_exceeded", "call deadline exceeded while the command ran");
      };

      const sandbox = state.sandboxes.get(record.podSandboxId);
      const result = await runSimulatedCommand(request.cmd, { ...containerView(record, sandbox), sleep, maxOutputBytes });
      // The await above is a window: if the container was stopped meanwhile,
      // the exec'd process died with it.
      const after = state.containers.get(record.id);
      const killed = after === undefined || containerState(after) !== ContainerState.CONTAINER_RUNNING;
      return create(ExecSyncResponseSchema, {
        stdout: result.stdout,
        stderr: result.stderr,
        exitCode: killed ? 137 : result.exitCode,
      });
    },
  };
}

/** What a process in `record` sees: env, files, cwd, hostname, uid (ExecSync and streaming exec). */
export function containerView(
  record: ContainerRecord,
  sandbox: SandboxRecord | undefined,
): Omit<ShellContext, "sleep" | "maxOutputBytes"> {
  // Envs, working dir and user live in the encoded part of the config.
  const config = containerConfigOf(record);
  const hostname = sandbox?.config.hostname || sandbox?.config.metadata?.name || record.id.slice(0, 12);
  const env: Record<string, string> = { PATH: defaultPath, HOSTNAME: hostname };
  // KeyValue.value is bytes; a process environment is text, so decode as UTF-8
  // (invalid sequences become U+FFFD rather than failing the exec).
  for (const kv of config.envs) env[kv.key] = envText.decode(kv.value);
  if (env.HOME === undefined) env.HOME = "/root";
  const dns = sandbox?.config.dnsConfig;
  const resolv = [
    ...(dns?.searches.length ? [`search ${dns.searches.join(" ")}`] : []),
    ...(dns?.servers ?? []).map((server) => `nameserver ${server}`),
    ...(dns?.options.length ? [`options ${dns.options.join(" ")}`] : []),
  ];
  const ip = sandbox?.ip ?? "";
  return {
    env,
    cwd: config.workingDir || "/",
    hostname,
    uid: config.linux?.securityContext?.runAsUser?.value ?? 0n,
    files: {
      "/etc/hostname": `${hostname}\n`,
      "/etc/hosts":
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
        (ip === "" ? "" : `${ip}\t${hostname}\n`),
      "/etc/resolv.conf": resolv.length === 0 ? "" : `${resolv.join("\n")}\n`,
      "/etc/os-release": 'NAME="cri-gateway simulated Linux"\nID=simulated\n',
    },
  };
}
