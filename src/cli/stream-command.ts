/**
 * `cri-gateway stream URL`: connect a terminal (or pipes) to the URL an Exec
 * or Attach call returned, like `kubectl exec` does to the kubelet's:
 * WebSocket with the channel protocol (v5, else v4), stdin in, stdout and
 * stderr out, and the process exits with the command's exit code. It works
 * against the gateway's streaming URLs whatever runtime is behind them.
 */
import { WebSocket } from "ws";
import {
  channelClose,
  channelError,
  channelProtocols,
  channelResize,
  channelStderr,
  channelStdin,
  channelStdout,
  toChannelFrame,
} from "../streaming/channel-protocol.js";

/** Exit code when the session failed for another reason than the command's exit. */
const exitSessionFailed = 1;

/** Run the session at `url`; resolves with the exit code to use. */
export function runStreamCommand(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, [...channelProtocols], { perMessageDeflate: false });
    const stdin = process.stdin;
    let status: string | undefined;
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      if (stdin.isTTY) stdin.setRawMode(false);
      // Let the process exit although nobody closed our stdin.
      stdin.destroy();
      resolve(code);
    };

    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => {
        process.stderr.write(`cri-gateway stream: HTTP ${res.statusCode}: ${body.trim()}\n`);
        finish(exitSessionFailed);
      });
    });
    ws.on("error", (err) => {
      process.stderr.write(`cri-gateway stream: ${err.message}\n`);
      finish(exitSessionFailed);
    });
    ws.on("open", () => {
      const sendResize = () =>
        ws.send(toChannelFrame(channelResize, JSON.stringify({ Width: process.stdout.columns, Height: process.stdout.rows })));
      if (stdin.isTTY) {
        stdin.setRawMode(true);
        if (process.stdout.isTTY) {
          sendResize();
          process.stdout.on("resize", sendResize);
        }
      }
      stdin.on("data", (chunk: Buffer) => ws.send(toChannelFrame(channelStdin, chunk)));
      // Only v5 can tell the far side that stdin ended.
      stdin.on("end", () => {
        if (ws.protocol === channelProtocols[0] && ws.readyState === ws.OPEN) ws.send(Buffer.from([channelClose, channelStdin]));
      });
      stdin.resume();
    });
    ws.on("message", (data: Buffer) => {
      const payload = data.subarray(1);
      switch (data[0]) {
        case channelStdout:
          process.stdout.write(payload);
          break;
        case channelStderr:
          process.stderr.write(payload);
          break;
        case channelError:
          status = (status ?? "") + payload.toString();
          break;
      }
    });
    ws.on("close", () => finish(exitCodeOf(status)));
  });
}

/** The exit code a metav1.Status stands for; reports failures other than an exit code on stderr. */
function exitCodeOf(status: string | undefined): number {
  if (status === undefined || status === "") return 0;
  try {
    const parsed = JSON.parse(status) as { status?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } };
    if (parsed.status === "Success") return 0;
    const exitCode = parsed.details?.causes?.find((c) => c.reason === "ExitCode")?.message;
    if (exitCode !== undefined && /^\d+$/.test(exitCode)) return Number(exitCode);
    process.stderr.write(`cri-gateway stream: ${parsed.message ?? status}\n`);
  } catch {
    process.stderr.write(`cri-gateway stream: ${status}\n`);
  }
  return exitSessionFailed;
}
