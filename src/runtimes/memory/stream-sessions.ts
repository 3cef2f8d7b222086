/**
 * What runs behind a memory-runtime streaming URL once the client is
 * connected over the channel protocol:
 * - exec runs the command in the simulated shell. Without stdin it runs at
 *   once; with stdin, a bare shell (`sh`, `bash`, …) runs each line as it
 *   arrives (echoing input and printing a prompt when `tty` is set) until
 *   `exit`; any other command gets stdin once the client closes it (v5).
 *   The exit code goes to the error channel as a metav1.Status.
 * - attach connects to the container's (simulated) main process, which
 *   echoes stdin to stdout; it ends when the container stops or stdin closes.
 * - portforward: each requested port answers as an echo service.
 */
import { setTimeout as delay } from "node:timers/promises";
import { ContainerState } from "../../../gen/runtime/v1/api_pb.js";
import {
  channelStderr,
  channelStdout,
  exitCodeStatus,
  failureStatus,
  successStatus,
} from "../../streaming/channel-protocol.js";
import { containerView } from "./exec-sync.js";
import { runSimulatedCommand } from "./sim-shell.js";
import type { MemoryState } from "./state.js";
import { containerState } from "./store/container-store.js";
import type { StreamingSession } from "./streaming-sessions.js";

/** Cap on each output stream of one command, and on buffered stdin. */
const maxStreamBytes = 16 * 1024 * 1024;
/** How often attach looks whether the container is still running. */
const attachPollMs = 250;
const shells = new Set(["sh", "bash", "ash", "dash"]);

/**
 * The client's side of a session, whatever carries it (WebSocket channels
 * or SPDY streams; see stream-server.ts).
 */
export interface Channels {
  send(channel: number, data: Uint8Array | string): void;
  /** Send the final status on the error channel and close the session normally. */
  finish(status: string): void;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

/**
 * Start `session` on `channels`; returns the Input the transport feeds with
 * what the client sends. `ports` are the ports to forward (port forwarding
 * only). Never throws.
 */
export function runStreamSession(state: MemoryState, session: StreamingSession, channels: Channels, ports: number[]): Input {
  const input = createInput();
  const run =
    session.kind === "exec"
      ? runExec(state, session, channels, input)
      : session.kind === "attach"
        ? runAttach(state, session, channels, input)
        : runPortForward(session, channels, input, ports);
  run.catch((err: unknown) => {
    if (channels.signal.aborted) return;
    channels.finish(failureStatus(err instanceof Error ? err.message : "internal error"));
  });
  return input;
}

/** Client input: stdin bytes as they arrive, its end, and other channels (port forwarding). */
export interface Input {
  push(bytes: Uint8Array): void;
  pushTo(channel: number, bytes: Uint8Array): void;
  end(): void;
  onData?: (text: string) => void;
  onEnd?: () => void;
  onChannel?: (channel: number, bytes: Uint8Array) => void;
  readonly ended: boolean;
}

function createInput(): Input {
  const decoder = new TextDecoder();
  const input: Input = {
    ended: false,
    push(bytes) {
      if (input.ended) return;
      input.onData?.(decoder.decode(bytes, { stream: true }));
    },
    pushTo(channel, bytes) {
      input.onChannel?.(channel, bytes);
    },
    end() {
      if (input.ended) return;
      (input as { ended: boolean }).ended = true;
      input.onEnd?.();
    },
  };
  return input;
}

function isRunning(state: MemoryState, containerId: string): boolean {
  const record = state.containers.get(containerId);
  return record !== undefined && containerState(record) === ContainerState.CONTAINER_RUNNING;
}

async function runExec(
  state: MemoryState,
  session: Extract<StreamingSession, { kind: "exec" }>,
  channels: Channels,
  input: Input,
): Promise<void> {
  const { request, containerId } = session;
  const record = state.containers.get(containerId);
  if (record === undefined || !isRunning(state, containerId)) {
    channels.finish(failureStatus(`container "${containerId}" is not running`));
    return;
  }
  const view = containerView(record, state.sandboxes.get(record.podSandboxId));
  const sleep = (seconds: number) => delay(seconds * 1000, undefined, { signal: channels.signal });
  // A terminal has one output stream, and turns "\n" into "\r\n".
  const out = (bytes: Uint8Array, channel: number) => {
    if (bytes.length === 0) return;
    if (request.tty) channels.send(channelStdout, Buffer.from(bytes).toString().replace(/\r?\n/g, "\r\n"));
    else if (channel === channelStdout ? request.stdout : request.stderr) channels.send(channel, bytes);
  };
  const run = async (argv: readonly string[], stdin: string) => {
    const result = await runSimulatedCommand(argv, { ...view, sleep, maxOutputBytes: maxStreamBytes, stdin });
    out(result.stdout, channelStdout);
    out(result.stderr, channelStderr);
    return result.exitCode;
  };
  const finishWith = (code: number) => {
    if (!isRunning(state, containerId)) code = 137; // the container died under the command
    channels.finish(code === 0 ? successStatus() : exitCodeStatus(request.cmd, code));
  };

  if (!request.stdin) {
    finishWith(await run(request.cmd, ""));
    return;
  }
  const name = (request.cmd[0] ?? "").split("/").pop() ?? "";
  if (shells.has(name) && request.cmd.slice(1).every((arg) => arg === "-i")) {
    await runInteractiveShell(request.tty, view.uid === 0n ? "# " : "$ ", channels, input, run, finishWith);
    return;
  }
  // Any other command reads all of stdin, so it runs once stdin is closed.
  let stdin = "";
  input.onData = (text) => {
    stdin += text;
    if (stdin.length > maxStreamBytes) channels.finish(failureStatus(`stdin is larger than ${maxStreamBytes} bytes`));
  };
  input.onEnd = () => void run(request.cmd, stdin).then(finishWith, () => {});
}

/** A shell reading commands from stdin, one line at a time, until `exit` or EOF. */
async function runInteractiveShell(
  tty: boolean,
  prompt: string,
  channels: Channels,
  input: Input,
  run: (argv: readonly string[], stdin: string) => Promise<number>,
  finishWith: (code: number) => void,
): Promise<void> {
  let pending = "";
  let last = 0;
  let done = false;
  let queue = Promise.resolve();
  if (tty) channels.send(channelStdout, prompt);

  const runLine = async (line: string) => {
    if (done) return;
    const exit = /^\s*exit(?:\s+(\d+))?\s*$/.exec(line);
    if (exit !== null) {
      done = true;
      finishWith(exit[1] === undefined ? last : Number(exit[1]) & 0xff);
      return;
    }
    if (line.trim() !== "") last = await run(["sh", "-c", line], "");
    if (tty) channels.send(channelStdout, prompt);
  };
  input.onData = (text) => {
    // A terminal echoes what is typed; Enter arrives as "\r".
    if (tty) channels.send(channelStdout, text.replace(/\r/g, "\r\n"));
    pending += text.replace(/\r\n?/g, "\n");
    if (pending.length > maxStreamBytes) pending = "";
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      queue = queue.then(() => runLine(line));
      newline = pending.indexOf("\n");
    }
  };
  input.onEnd = () => {
    queue = queue.then(async () => {
      if (pending.trim() !== "") await runLine(pending);
      if (!done) {
        done = true;
        finishWith(last);
      }
    });
  };
}

async function runAttach(
  state: MemoryState,
  session: Extract<StreamingSession, { kind: "attach" }>,
  channels: Channels,
  input: Input,
): Promise<void> {
  const { request, containerId } = session;
  if (!isRunning(state, containerId)) {
    channels.finish(failureStatus(`container "${containerId}" is not running`));
    return;
  }
  if (request.stdin) {
    input.onData = (text) => {
      // The main process echoes its input: to the attached client and, as
      // all its output, to the container's log.
      state.logs.write(containerId, "stdout", request.tty ? text.replace(/\r/g, "\n") : text);
      if (request.stdout || request.tty) channels.send(channelStdout, request.tty ? text.replace(/\r/g, "\r\n") : text);
    };
    input.onEnd = () => channels.finish(successStatus());
  }
  // The simulated main process ends with the container.
  while (!channels.signal.aborted && !input.ended) {
    if (!isRunning(state, containerId)) {
      channels.finish(successStatus());
      return;
    }
    await delay(attachPollMs, undefined, { signal: channels.signal, ref: false }).catch(() => {});
  }
}

async function runPortForward(
  session: Extract<StreamingSession, { kind: "portforward" }>,
  channels: Channels,
  input: Input,
  ports: number[],
): Promise<void> {
  if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    channels.finish(failureStatus(`port forward to pod sandbox "${session.podSandboxId}" needs ports 1-65535`));
    return;
  }
  // Each port has a data channel (2i) and an error channel (2i+1); the first
  // message on each names the port, little-endian.
  ports.forEach((port, i) => {
    const name = Buffer.from([port & 0xff, port >> 8]);
    channels.send(2 * i, name);
    channels.send(2 * i + 1, name);
  });
  input.onChannel = (channel, bytes) => {
    if (channel % 2 === 0 && channel / 2 < ports.length) channels.send(channel, bytes);
  };
}
