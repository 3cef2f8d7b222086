/**
 * Proves a tool runs offline: while installed, every outgoing TCP/TLS
 * connection and DNS lookup to anything but loopback is refused (as
 * ENETUNREACH / ENOTFOUND) and recorded. Unix sockets and 127.0.0.0/8, ::1 and
 * "localhost" pass. It patches `net.Socket.prototype.connect` (which
 * node:http, node:https, node:http2, tls and the fetch in Node all end up in)
 * and `dns.lookup`, so it covers code that brings its own HTTP client too.
 *
 * In another process, preload it: `node --import tsx --import ./network-guard-preload.ts`.
 */
import dns from "node:dns";
import net from "node:net";
import { syncBuiltinESMExports } from "node:module";

/** An installed guard. */
export interface NetworkGuard {
  /** Every refused destination, as `host:port` or a host name (DNS), in order. */
  readonly blocked: readonly string[];
  /** Restore the original functions. */
  uninstall(): void;
}

const loopback = new net.BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

/** True for "localhost" and loopback IP literals. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  const family = net.isIP(bare);
  if (family === 0) return bare.toLowerCase() === "localhost";
  return loopback.check(bare, family === 4 ? "ipv4" : "ipv6");
}

/** Where a `Socket#connect` call goes: undefined for a unix socket, else `host:port`. */
function destination(args: unknown[]): { host: string; port: unknown } | undefined {
  // net.connect() hands connect() its already-normalized [options, callback] array.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === "string") return undefined; // a path
  if (typeof first === "number") return { host: typeof args[1] === "string" ? args[1] : "localhost", port: first };
  const options = (first ?? {}) as { path?: unknown; host?: unknown; port?: unknown };
  if (typeof options.path === "string") return undefined;
  return { host: typeof options.host === "string" ? options.host : "localhost", port: options.port };
}

/** Install the guard in this process. Install it once; uninstall before installing again. */
export function installNetworkGuard(): NetworkGuard {
  const blocked: string[] = [];
  const originalConnect = net.Socket.prototype.connect;
  const originalLookup = dns.lookup;
  const originalPromiseLookup = dns.promises.lookup;

  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const to = destination(args);
    if (to !== undefined && !isLoopback(to.host)) {
      const target = `${to.host}:${String(to.port)}`;
      blocked.push(target);
      const err = Object.assign(new Error(`network guard: refused a connection to ${target}`), { code: "ENETUNREACH" });
      process.nextTick(() => this.destroy(err));
      return this;
    }
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;

  const refusedLookup = (hostname: string) => {
    blocked.push(hostname);
    return Object.assign(new Error(`network guard: refused a DNS lookup of ${hostname}`), { code: "ENOTFOUND", hostname });
  };
  dns.lookup = function guardedLookup(hostname: string, ...rest: unknown[]) {
    if (isLoopback(hostname)) return (originalLookup as (...a: unknown[]) => void)(hostname, ...rest);
    const callback = rest.at(-1) as (err: Error) => void;
    const err = refusedLookup(hostname);
    process.nextTick(() => callback(err));
  } as typeof dns.lookup;
  dns.promises.lookup = async function guardedPromiseLookup(hostname: string, ...rest: unknown[]) {
    if (isLoopback(hostname)) return (originalPromiseLookup as (...a: unknown[]) => Promise<unknown>)(hostname, ...rest);
    throw refusedLookup(hostname);
  } as typeof dns.promises.lookup;
  syncBuiltinESMExports();

  return {
    blocked,
    uninstall() {
      net.Socket.prototype.connect = originalConnect;
      dns.lookup = originalLookup;
      dns.promises.lookup = originalPromiseLookup;
      syncBuiltinESMExports();
    },
  };
}
