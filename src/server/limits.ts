/**
 * Resource limits shared by every listener: the HTTP/2 SETTINGS the servers
 * advertise, and how many connections one listener holds at a time.
 */
import type { Settings } from "node:http2";
import { defaultHeaderTableSize, defaultMaxHeaderListSize } from "./header-block.js";

/**
 * SETTINGS_MAX_CONCURRENT_STREAMS advertised on every HTTP/2 connection.
 * Node's default is 2^32-1, which lets one client open streams without limit;
 * 100 is the smallest value RFC 9113 §6.5.2 recommends, and plenty for
 * kubelet. A client that opens more has them refused (REFUSED_STREAM).
 */
export const http2MaxConcurrentStreams = 100;

/** The default of `ServeOptions.maxConnections`: connections one listener holds at a time. */
export const defaultMaxConnections = 1024;

/**
 * The SETTINGS for the h2c and TLS h2 servers. The header table size is
 * pinned rather than left to a default because the `:authority` fix mirrors
 * the client's HPACK table and must know its size limit.
 */
export function createHttp2Settings(maxHeaderListSize: number = defaultMaxHeaderListSize): Settings {
  return {
    headerTableSize: defaultHeaderTableSize,
    maxHeaderListSize,
    maxConcurrentStreams: http2MaxConcurrentStreams,
  };
}
