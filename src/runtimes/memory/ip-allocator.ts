/**
 * Hands out pod IPs from the pod CIDR, as a host-local IPAM plugin would:
 * skips the network, gateway (.1) and broadcast addresses, reuses released
 * addresses, and follows the CIDR when UpdateRuntimeConfig changes it.
 */
import { CoreError } from "../../core/core-error.js";

/** Pod IP bookkeeping. */
export interface IpAllocator {
  /** The CIDR new addresses come from. */
  readonly cidr: string;
  /** Switch to a new CIDR (IPv4 or a comma-separated dual-stack list; the first IPv4 one is used). */
  setCidr(cidr: string): void;
  /** A free address. Throws resource_exhausted when the range is full. */
  allocate(): string;
  /** Return an address; unknown ones are ignored. */
  release(ip: string): void;
}

interface Range {
  readonly base: number;
  readonly size: number;
}

/**
 * Validate a pod CIDR (`10.88.0.0/16`, `fd00::/64`, or both comma-separated).
 * Throws CoreError("invalid_argument").
 */
export function validatePodCidr(cidr: string): void {
  const parts = cidr.split(",").map((p) => p.trim());
  for (const part of parts) {
    if (parseIpv4Cidr(part) === undefined && !isIpv6Cidr(part)) {
      throw new CoreError("invalid_argument", `pod_cidr "${cidr}" is not a valid CIDR`);
    }
  }
}

/** Create an allocator over `cidr` (validated first). */
export function createIpAllocator(cidr: string): IpAllocator {
  const used = new Set<number>();
  let current = cidr;
  let range = rangeOf(cidr);
  let cursor = 0;

  return {
    get cidr() {
      return current;
    },
    setCidr(next) {
      validatePodCidr(next);
      current = next;
      range = rangeOf(next);
      cursor = 0;
    },
    allocate() {
      // Usable hosts are base+2 … base+size-2 (.0 network, .1 gateway, last broadcast).
      const hosts = range.size - 3;
      for (let tried = 0; tried < hosts; tried++) {
        const address = (range.base + 2 + ((cursor + tried) % hosts)) >>> 0;
        if (!used.has(address)) {
          used.add(address);
          cursor = (cursor + tried + 1) % hosts;
          return formatIpv4(address);
        }
      }
      throw new CoreError("resource_exhausted", `no pod IP addresses left in ${current}`);
    },
    release(ip) {
      const address = parseIpv4(ip);
      if (address !== undefined) used.delete(address);
    },
  };
}

// Pods on an IPv6-only network still get an IPv4 address from the default
// range: the simulation does not model IPv6 addressing.
const fallbackRange: Range = { base: parseIpv4("10.88.0.0") as number, size: 1 << 16 };

function rangeOf(cidr: string): Range {
  for (const part of cidr.split(",")) {
    const range = parseIpv4Cidr(part.trim());
    if (range !== undefined && range.size >= 4) return range;
  }
  return fallbackRange;
}

function parseIpv4Cidr(text: string): Range | undefined {
  const [ip = "", bits = "", extra] = text.split("/");
  if (extra !== undefined || !/^\d{1,2}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  const address = parseIpv4(ip);
  if (address === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  return { base: address - (address % size), size };
}

function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function formatIpv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

function isIpv6Cidr(text: string): boolean {
  const [ip = "", bits = "", extra] = text.split("/");
  if (extra !== undefined || !/^\d{1,3}$/.test(bits) || Number(bits) > 128) return false;
  if (!/^[0-9a-fA-F:]+$/.test(ip) || !ip.includes(":")) return false;
  const doubles = ip.split("::").length - 1;
  if (doubles > 1) return false;
  const groups = ip.split(":").filter((g) => g !== "");
  return groups.every((g) => g.length <= 4) && (doubles === 1 ? groups.length < 8 : groups.length === 8);
}
