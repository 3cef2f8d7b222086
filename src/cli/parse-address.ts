/**
 * Parses `--listen` values: `HOST:PORT`, `[IPv6]:PORT`, `:PORT` (loopback)
 * or `none`.
 */

/** A TCP address to listen on. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parse a listen address. An empty host means loopback (`127.0.0.1`), never
 * all interfaces: exposing CRI must be a deliberate choice. Returns undefined
 * for `none`. Throws Error with a readable message for anything else.
 */
export function parseListenAddress(value: string): ListenAddress | undefined {
  if (value === "none") return undefined;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  if (match === null) {
    throw new Error(`invalid --listen "${value}": expected HOST:PORT, [IPV6]:PORT, :PORT or none`);
  }
  const host = match[1] ?? (match[2] === "" ? "127.0.0.1" : (match[2] as string));
  const port = Number(match[3]);
  if (port > 65535) {
    throw new Error(`invalid --listen "${value}": port must be 0-65535`);
  }
  return { host, port };
}
