/**
 * The Kubernetes streaming channel protocol over WebSocket, as the kubelet's
 * streaming server and client-go speak it: every binary message starts with
 * a channel byte. Exec and attach use stdin 0, stdout 1, stderr 2, error 3
 * (a JSON metav1.Status when the command ends) and resize 4 (terminal size
 * as JSON). v5 adds message `[255, n]`: the client closed channel n (stdin
 * EOF). Port forwarding uses a data and an error channel per port.
 */

/** The subprotocols served, most preferred first. */
export const channelProtocolV5 = "v5.channel.k8s.io";
export const channelProtocolV4 = "v4.channel.k8s.io";
export const channelProtocols: readonly string[] = [channelProtocolV5, channelProtocolV4];

/** Channel numbers of exec and attach. */
export const channelStdin = 0;
export const channelStdout = 1;
export const channelStderr = 2;
export const channelError = 3;
export const channelResize = 4;
/** v5: a message `[channelClose, n]` closes channel n. */
export const channelClose = 255;

/**
 * The first protocol in the client's `Sec-WebSocket-Protocol` offer that is
 * served here (the kubelet also honours the client's order), or undefined.
 */
export function pickChannelProtocol(offered: Iterable<string>): string | undefined {
  for (const protocol of offered) if (channelProtocols.includes(protocol)) return protocol;
  return undefined;
}

/** The protocols listed in a `Sec-WebSocket-Protocol` header. */
export function parseProtocolHeader(header: string | undefined): string[] {
  return (header ?? "").split(",").map((p) => p.trim()).filter((p) => p !== "");
}

/** One message on `channel`. */
export function toChannelFrame(channel: number, data: Uint8Array | string): Buffer {
  const payload = typeof data === "string" ? Buffer.from(data) : data;
  const frame = Buffer.allocUnsafe(payload.length + 1);
  frame[0] = channel;
  frame.set(payload, 1);
  return frame;
}

/** The status sent on the error channel when the command exited 0. */
export function successStatus(): string {
  return JSON.stringify({ metadata: {}, status: "Success" });
}

/**
 * The status for a non-zero exit. Clients read the code from the `ExitCode`
 * cause (client-go turns it into an exit error; kubectl exits with it).
 */
export function exitCodeStatus(command: readonly string[], exitCode: number): string {
  return JSON.stringify({
    metadata: {},
    status: "Failure",
    message: `command ${JSON.stringify(command)} exited with code ${exitCode}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(exitCode) }] },
  });
}

/** The status for a session that failed for another reason than the command's exit. */
export function failureStatus(message: string): string {
  return JSON.stringify({ metadata: {}, status: "Failure", message, reason: "InternalError", code: 500 });
}
