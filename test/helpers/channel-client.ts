/**
 * A WebSocket client for the Kubernetes streaming channel protocol
 * (v5.channel.k8s.io / v4.channel.k8s.io), written on the `ws` package the
 * way client-go's WebSocket executor behaves: it offers subprotocols, sends
 * stdin on channel 0 (and `[255, 0]` to close it on v5), and collects
 * stdout, stderr and the final status from the error channel.
 */
import type { IncomingHttpHeaders } from "node:http";
import { WebSocket } from "ws";

/** What one streaming session produced. */
export interface ChannelSession {
  /** The HTTP status when the upgrade was refused; undefined when it succeeded. */
  readonly refusedStatus?: number;
  /** Body of a refused upgrade. */
  readonly refusedBody?: string;
  /** Response headers of the upgrade (101) or of the refusal. */
  readonly headers: IncomingHttpHeaders;
  /** The subprotocol the server chose. */
  readonly protocol: string;
  /** Every message received: channel and payload, in order. */
  readonly frames: { channel: number; data: Buffer }[];
  readonly stdout: string;
  readonly stderr: string;
  /** The parsed metav1.Status from the error channel, if any. */
  readonly status?: { status?: string; message?: string; reason?: string; details?: { causes?: { reason?: string; message?: string }[] } };
  /** The exit code from the status: 0 for Success, the ExitCode cause otherwise. */
  readonly exitCode?: number;
  readonly closeCode?: number;
}

/** How to run a session. */
export interface ChannelSessionOptions {
  /** Subprotocols offered, most preferred first. Default v5 then v4. */
  protocols?: string[];
  /** Chunks written to stdin after the connection opens. */
  stdin?: (string | Buffer)[];
  /** Send `[255, 0]` (v5 stdin close) after the stdin chunks. */
  closeStdin?: boolean;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Messages to send on other channels (port forwarding): [channel, payload]. */
  send?: [number, string | Buffer][];
  /** Close our side once this returns true for the frames so far (for sessions that never end by themselves). */
  until?: (frames: { channel: number; data: Buffer }[]) => boolean;
  /** Give up after this long (ms). Default 20 s. */
  timeoutMs?: number;
}

/** Connect to `url`, run the session to its end, and return what happened. */
export function runChannelSession(url: string, options: ChannelSessionOptions = {}): Promise<ChannelSession> {
  const { protocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"], stdin = [], closeStdin = false, timeoutMs = 20_000 } = options;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers: options.headers, perMessageDeflate: false });
    const frames: { channel: number; data: Buffer }[] = [];
    let headers: IncomingHttpHeaders = {};
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`streaming session at ${url} did not end within ${timeoutMs} ms; frames so far: ${JSON.stringify(frames.map((f) => [f.channel, f.data.toString()]))}`));
    }, timeoutMs);
    ws.on("upgrade", (res) => {
      headers = res.headers;
    });
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ refusedStatus: res.statusCode, refusedBody: body, headers: res.headers, protocol: "", frames, stdout: "", stderr: "" });
      });
    });
    ws.on("open", () => {
      for (const chunk of stdin) ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(chunk)]));
      for (const [channel, payload] of options.send ?? []) ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(payload)]));
      if (closeStdin) ws.send(Buffer.from([255, 0]));
    });
    ws.on("message", (data: Buffer) => {
      frames.push({ channel: data[0] as number, data: data.subarray(1) });
      if (options.until?.(frames)) ws.close(1000);
    });
    ws.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on("close", (closeCode) => {
      clearTimeout(timer);
      const text = (channel: number) => Buffer.concat(frames.filter((f) => f.channel === channel).map((f) => f.data)).toString();
      const statusText = text(3);
      const status = parseStatus(statusText);
      const exitCause = status?.details?.causes?.find((c) => c.reason === "ExitCode")?.message;
      const exitCode = status === undefined ? undefined : status.status === "Success" ? 0 : exitCause === undefined ? undefined : Number(exitCause);
      resolve({ headers, protocol: ws.protocol, frames, stdout: text(1), stderr: text(2), status, exitCode, closeCode });
    });
  });
}

/** The error channel's metav1.Status; undefined when empty or not JSON (port forwarding uses channel 3 for data). */
function parseStatus(text: string): ChannelSession["status"] {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as ChannelSession["status"];
  } catch {
    return undefined;
  }
}
