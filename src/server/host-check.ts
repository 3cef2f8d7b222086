/**
 * The Host / `:authority` check against DNS rebinding on the TCP listener. A
 * web page whose DNS name is rebound to 127.0.0.1 can make the browser POST
 * JSON to a loopback gateway, and CRI is root on the node; the browser still
 * sends the page's own host name, so naming only loopback hosts (and hosts
 * the operator allowed) shuts that door. The unix socket is not checked: file
 * permissions protect it, and CRI clients send odd authorities there.
 */
import net from "node:net";
import type { RequestHandler, UpgradeHandler } from "./serve-options.js";

/** The status of a refused request: the connection does not serve that origin (RFC 9110 §15.5.20). */
export const statusMisdirectedRequest = 421;

// 127.0.0.0/8 and ::1; BlockList also matches IPv4-mapped forms such as ::ffff:127.0.0.1.
const loopbackAddresses = new net.BlockList();
loopbackAddresses.addSubnet("127.0.0.0", 8, "ipv4");
loopbackAddresses.addAddress("::1", "ipv6");

/** True for a loopback IP literal (127.0.0.0/8, ::1, IPv4-mapped loopback) or "localhost", any case. */
export function isLoopbackHost(host: string): boolean {
  const family = net.isIP(host);
  if (family === 0) return host.toLowerCase() === "localhost";
  return loopbackAddresses.check(host, family === 4 ? "ipv4" : "ipv6");
}

// reg-name[:port] or [IPv6][:port], RFC 3986 §3.2.2; the port may be empty (§3.2.3).
const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::\d*)?$/;
const named = /^([A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::\d*)?$/;

/**
 * The host part of a Host or `:authority` value, lower case, without port,
 * brackets or one trailing dot: "LocalHost:7070" → "localhost",
 * "[::1]:80" → "::1". An unbracketed IPv6 literal ("::1") is taken whole.
 * Returns undefined for a value that is not host[:port].
 */
export function parseHostname(value: string): string | undefined {
  const match = bracketed.exec(value) ?? named.exec(value);
  let host = match?.[1];
  if (host === undefined) {
    if (net.isIPv6(value)) host = value;
    else return undefined;
  }
  host = host.toLowerCase();
  return host.endsWith(".") && host.length > 1 ? host.slice(0, -1) : host;
}

/**
 * The warning `serve()` logs for a TCP listener bound to `address`: one on a
 * non-loopback address without TLS, where anyone who can reach the port can
 * drive CRI. Undefined when there is nothing to warn about.
 */
export function exposureWarning(address: string, secure: boolean): string | undefined {
  if (secure || isLoopbackHost(address)) return undefined;
  return "listening on a non-loopback address without TLS: anyone who can reach it controls the node's containers";
}

/** Guards the handlers of one TCP listener. Create with {@link createHostGuard}. */
export interface HostGuard {
  /**
   * Tell the guard where the listener is bound, once it listens: on a
   * loopback address every request is checked; elsewhere only when
   * `allowedHosts` was given. Until then every request is checked.
   */
  setBoundAddress(address: string): void;
  /** `handler` with the check in front: refused requests get 421 and never reach it. */
  wrap(handler: RequestHandler): RequestHandler;
  /** The same check in front of an upgrade handler; a refused upgrade gets 421 and the connection is closed. */
  wrapUpgrade(upgrade: UpgradeHandler): UpgradeHandler;
}

/**
 * Create the Host check for one TCP listener. Requests must name
 * "localhost", a loopback IP literal, or one of `allowedHosts` (compared case
 * insensitively, port ignored; an entry may carry a port, which is ignored
 * too). HTTP/1 reads Host; HTTP/2 reads `:authority` and falls back to Host.
 * A refused request gets 421 with a Connect-style JSON error that names the
 * `--allowed-host` flag. Costs one regular expression and a Set lookup per
 * request. Throws a TypeError for an entry that is not a host name.
 */
export function createHostGuard({ allowedHosts }: { allowedHosts?: readonly string[] } = {}): HostGuard {
  const names = new Set(["localhost", "127.0.0.1", "::1"]);
  for (const entry of allowedHosts ?? []) {
    const host = parseHostname(entry.trim());
    if (host === undefined || host === "") throw new TypeError(`serve: allowedHosts entry "${entry}" is not a host name`);
    names.add(host);
  }
  const restrictEverywhere = allowedHosts !== undefined && allowedHosts.length > 0;
  let checking = true;

  const isAllowed = (value: string | undefined): boolean => {
    if (value === undefined) return false;
    const host = parseHostname(value);
    return host !== undefined && (names.has(host) || isLoopbackHost(host));
  };

  /** The JSON error body for a refused host, or undefined when it is allowed. */
  const refusalOf = (value: string | undefined): string | undefined => {
    if (isAllowed(value)) return undefined;
    const host = value === undefined ? "" : (parseHostname(value) ?? value);
    return JSON.stringify({
      code: "permission_denied",
      message: `host "${host}" is not allowed; start the gateway with --allowed-host ${host} to allow it`,
    });
  };

  return {
    setBoundAddress(address) {
      checking = restrictEverywhere || isLoopbackHost(address);
    },
    wrap(handler) {
      return function hostCheckedHandler(req, res) {
        if (!checking) return handler(req, res);
        const headers = req.headers as Record<string, string | string[] | undefined>;
        const authority = req.httpVersionMajor >= 2 ? (headers[":authority"] ?? headers.host) : headers.host;
        const refusal = refusalOf(typeof authority === "string" ? authority : undefined);
        if (refusal === undefined) return handler(req, res);
        res.statusCode = statusMisdirectedRequest;
        res.setHeader("content-type", "application/json");
        res.setHeader("content-length", Buffer.byteLength(refusal));
        res.end(refusal);
      };
    },
    wrapUpgrade(upgrade) {
      return function hostCheckedUpgrade(req, socket, head) {
        const refusal = checking ? refusalOf(req.headers.host) : undefined;
        if (refusal === undefined) return upgrade(req, socket, head);
        socket.end(
          `HTTP/1.1 ${statusMisdirectedRequest} Misdirected Request\r\ncontent-type: application/json\r\n` +
            `content-length: ${Buffer.byteLength(refusal)}\r\nconnection: close\r\n\r\n${refusal}`,
        );
        return true;
      };
    },
  };
}
