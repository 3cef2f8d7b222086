/**
 * Parsing of upstream runtime endpoints, in the kubelet's spelling:
 * `unix:///run/containerd/containerd.sock` or `tcp://host:port`.
 */
import { CoreError } from "../../core/core-error.js";

/** Where the upstream runtime listens. */
export type Endpoint =
  | { readonly kind: "unix"; readonly path: string; readonly text: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number; readonly text: string };

/**
 * Parse `unix:///abs/path.sock` or `tcp://host:port`. `setting` names the
 * option in the error message. Throws CoreError("invalid_argument").
 */
export function parseEndpoint(value: string | undefined, setting: string): Endpoint {
  if (value === undefined || value === "") {
    throw new CoreError(
      "invalid_argument",
      `the remote runtime needs ${setting}: e.g. unix:///run/containerd/containerd.sock or tcp://127.0.0.1:10010`,
    );
  }
  if (value.startsWith("unix://")) {
    const path = value.slice("unix://".length);
    if (!path.startsWith("/")) {
      throw new CoreError("invalid_argument", `invalid ${setting} "${value}": a unix endpoint needs an absolute path (unix:///path/to.sock)`);
    }
    return { kind: "unix", path, text: value };
  }
  const tcp = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d{1,5})$/.exec(value);
  if (tcp !== null) {
    const port = Number(tcp[2]);
    if (port < 1 || port > 65535) {
      throw new CoreError("invalid_argument", `invalid ${setting} "${value}": port must be 1-65535`);
    }
    return { kind: "tcp", host: tcp[1] as string, port, text: value };
  }
  throw new CoreError(
    "invalid_argument",
    `invalid ${setting} "${value}": expected unix:///path/to.sock or tcp://host:port`,
  );
}
