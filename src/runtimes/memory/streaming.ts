/**
 * Exec, Attach and PortForward: check the target, park the request as a
 * single-use session, and answer with a URL on the gateway itself
 * (`<gateway>/stream/<kind>/<token>`) that the streaming endpoint serves.
 */
import { create } from "@bufbuild/protobuf";
import {
  AttachResponseSchema,
  ContainerState,
  ExecResponseSchema,
  PodSandboxState,
  PortForwardResponseSchema,
} from "../../../gen/runtime/v1/api_pb.js";
import { CoreError } from "../../core/core-error.js";
import type { RuntimeMethods } from "../../core/runtime-core.js";
import type { MemoryState } from "./state.js";
import { type ContainerRecord, containerState, containerStateName } from "./store/container-store.js";
import { sandboxState } from "./store/sandbox-store.js";

type StreamingVerbs = Pick<RuntimeMethods, "exec" | "attach" | "portForward">;

/** Build the streaming verbs over `state`. */
export function createStreamingVerbs(state: MemoryState): StreamingVerbs {
  /** The gateway's base URL; throws when it has none to offer (no TCP listener). */
  const baseUrl = (): string => {
    const base = state.options.gatewayUrl();
    if (base === "") {
      throw new CoreError("unavailable", "streaming needs the gateway's TCP listener, and this gateway has none (--listen none)");
    }
    return base.replace(/\/+$/, "");
  };
  /** Park `session` and return its URL (the base first: no session without a URL). */
  const urlFor = (session: Parameters<MemoryState["sessions"]["create"]>[0]): string => {
    const base = baseUrl();
    return `${base}/stream/${session.kind}/${state.sessions.create(session)}`;
  };

  const runningContainer = (id: string, action: string): ContainerRecord => {
    const record = state.containers.resolve(id);
    const current = containerState(record);
    if (current !== ContainerState.CONTAINER_RUNNING) {
      throw new CoreError("failed_precondition", `cannot ${action} container "${record.id}": it is ${containerStateName(current)}`);
    }
    return record;
  };

  // The kubelet streaming server's request checks, which containerd inherits.
  const checkStdio = (r: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }) => {
    if (!r.stdin && !r.stdout && !r.stderr) {
      throw new CoreError("invalid_argument", "one of stdin, stdout, or stderr must be set");
    }
    if (r.tty && r.stderr) throw new CoreError("invalid_argument", "tty and stderr cannot both be true");
  };

  return {
    async exec(request) {
      if (request.cmd.length === 0) throw new CoreError("invalid_argument", "cmd must not be empty");
      const record = runningContainer(request.containerId, "exec in");
      checkStdio(request);
      return create(ExecResponseSchema, { url: urlFor({ kind: "exec", request, containerId: record.id }) });
    },

    async attach(request) {
      const record = runningContainer(request.containerId, "attach to");
      checkStdio(request);
      return create(AttachResponseSchema, { url: urlFor({ kind: "attach", request, containerId: record.id }) });
    },

    async portForward(request) {
      const sandbox = state.sandboxes.resolve(request.podSandboxId);
      if (sandboxState(sandbox) !== PodSandboxState.SANDBOX_READY) {
        throw new CoreError("failed_precondition", `cannot port-forward to pod sandbox "${sandbox.id}": it is not ready`);
      }
      for (const port of request.port) {
        if (port < 1 || port > 65535) throw new CoreError("invalid_argument", `port ${port} is out of range`);
      }
      return create(PortForwardResponseSchema, { url: urlFor({ kind: "portforward", request, podSandboxId: sandbox.id }) });
    },
  };
}
