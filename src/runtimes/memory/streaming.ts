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
import type { StreamingKind } from "./streaming-sessions.js";
import { type ContainerRecord, containerState, containerStateName } from "./store/container-store.js";
import { sandboxState } from "./store/sandbox-store.js";

type StreamingVerbs = Pick<RuntimeMethods, "exec" | "attach" | "portForward">;

/** Build the streaming verbs over `state`. */
export function createStreamingVerbs(state: MemoryState): StreamingVerbs {
  const url = (kind: StreamingKind, token: string) =>
    `${state.options.gatewayUrl().replace(/\/+$/, "")}/stream/${kind}/${token}`;

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
      const token = state.sessions.create({ kind: "exec", request, containerId: record.id });
      return create(ExecResponseSchema, { url: url("exec", token) });
    },

    async attach(request) {
      const record = runningContainer(request.containerId, "attach to");
      checkStdio(request);
      const token = state.sessions.create({ kind: "attach", request, containerId: record.id });
      return create(AttachResponseSchema, { url: url("attach", token) });
    },

    async portForward(request) {
      const sandbox = state.sandboxes.resolve(request.podSandboxId);
      if (sandboxState(sandbox) !== PodSandboxState.SANDBOX_READY) {
        throw new CoreError("failed_precondition", `cannot port-forward to pod sandbox "${sandbox.id}": it is not ready`);
      }
      for (const port of request.port) {
        if (port < 1 || port > 65535) throw new CoreError("invalid_argument", `port ${port} is out of range`);
      }
      const token = state.sessions.create({ kind: "portforward", request, podSandboxId: sandbox.id });
      return create(PortForwardResponseSchema, { url: url("portforward", token) });
    },
  };
}
