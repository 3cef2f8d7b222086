/**
 * The committed OpenAPI document (`openapi/cri.openapi.json|yaml`, made by
 * `npm run generate`) as the gateway serves it: read from disk once, with its
 * `servers` entry replaced by the address a request came in on. Serialized
 * forms are cached per server URL, so serving the ~200 KB document costs a
 * map lookup, not a re-serialization.
 */
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { dirname, join } from "node:path";
import type { TLSSocket } from "node:tls";
import { fileURLToPath } from "node:url";

/** File names inside the `openapi/` directory. */
export const openApiJsonFile = "cri.openapi.json";
export const openApiYamlFile = "cri.openapi.yaml";

/** The two forms the document is served in. */
export type OpenApiFormat = "json" | "yaml";

/** The `servers` entry's description in a served document. */
export const servedServerDescription = "This gateway: the address this document was served from";

/** What every unix-socket request is told: the socket has no URL, and curl `--unix-socket` uses this one. */
export const unixSocketServerUrl = "http://localhost";

/**
 * The `openapi/` directory of the package this module belongs to, found by
 * walking up from the module's own location, so it works from `src/http`
 * (tsx) and from `dist/src/http` (after `npm run build`). Throws when no
 * ancestor within a few levels has `openapi/cri.openapi.json`.
 */
export function findOpenApiDir(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (let level = 0; level < 6; level++) {
    const candidate = join(dir, "openapi");
    if (existsSync(join(candidate, openApiJsonFile))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find openapi/${openApiJsonFile} above ${fileURLToPath(from)}; run npm run generate`);
}

// reg-name or IPv4 literal, or a bracketed IPv6 literal, then an optional port
// (RFC 3986 §3.2.2-3.2.3). Anything else is not echoed into the document.
const authorityPattern = /^(?:[A-Za-z0-9\-._~]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** A request from node:http or node:http2's compat API (what express hands a route). */
export type AnyRequest = IncomingMessage | Http2ServerRequest;

/**
 * The base URL a client used to reach the gateway: `https` when the
 * connection is TLS, host and port from `:authority` (HTTP/2) or `Host`
 * (HTTP/1.1). Unix-socket requests get {@link unixSocketServerUrl}. A missing
 * or malformed authority falls back to the socket's local address. Proxy
 * headers (`X-Forwarded-*`) are ignored: nothing says a proxy is trusted.
 */
export function requestServerUrl(req: AnyRequest): string {
  const socket = req.socket as Partial<TLSSocket> | null;
  // A unix-socket connection has no remote address (TCP always has one while open).
  if (socket === null || socket.remoteAddress === undefined) return unixSocketServerUrl;
  const scheme = socket.encrypted === true ? "https" : "http";
  const headers = req.headers as Record<string, string | string[] | undefined>;
  const given = req.httpVersionMajor >= 2 ? (headers[":authority"] ?? headers.host) : headers.host;
  if (typeof given === "string" && authorityPattern.test(given)) return `${scheme}://${given}`;
  const address = socket.localAddress ?? "127.0.0.1";
  const host = address.includes(":") ? `[${address}]` : address;
  return `${scheme}://${host}${socket.localPort === undefined ? "" : `:${socket.localPort}`}`;
}

/** Options for {@link createOpenApiDocumentSource}. */
export interface OpenApiDocumentSourceOptions {
  /** Directory holding the two files. Default: {@link findOpenApiDir}. */
  dir?: string;
  /** How many server URLs keep their serialized forms (least recently used go first). Default 16. */
  maxServers?: number;
}

/** The served document; see {@link createOpenApiDocumentSource}. */
export interface OpenApiDocumentSource {
  /** The document in `format` with `servers` set to `serverUrl`, as UTF-8 bytes; the same Buffer for repeated calls. */
  render(serverUrl: string, format: OpenApiFormat): Buffer;
  /** How many server URLs are cached right now (at most `maxServers`). */
  readonly cachedServers: number;
}

interface Loaded {
  doc: Record<string, unknown>;
  /** The YAML text before and after its top-level `servers:` block. */
  yamlHead: string;
  yamlTail: string;
}

/**
 * Serve the committed document. Files are read on the first `render` (never
 * at start-up), once; a read or parse failure throws from that `render` and
 * is retried on the next one.
 */
export function createOpenApiDocumentSource({ dir, maxServers = 16 }: OpenApiDocumentSourceOptions = {}): OpenApiDocumentSource {
  if (!Number.isInteger(maxServers) || maxServers < 1) throw new RangeError(`maxServers must be a positive integer, got ${maxServers}`);
  let loaded: Loaded | undefined;
  const cache = new Map<string, Partial<Record<OpenApiFormat, Buffer>>>();

  const load = (): Loaded => {
    const from = dir ?? findOpenApiDir();
    const doc = JSON.parse(readFileSync(join(from, openApiJsonFile), "utf8")) as Record<string, unknown>;
    const yaml = readFileSync(join(from, openApiYamlFile), "utf8");
    return { doc, ...splitYamlServers(yaml) };
  };

  return {
    render(serverUrl, format) {
      loaded ??= load();
      let forms = cache.get(serverUrl);
      if (forms === undefined) {
        if (cache.size >= maxServers) cache.delete(cache.keys().next().value as string);
        forms = {};
      } else {
        cache.delete(serverUrl); // re-inserted below: the map's order is recency
      }
      cache.set(serverUrl, forms);
      return (forms[format] ??= serialize(loaded, serverUrl, format));
    },
    get cachedServers() {
      return cache.size;
    },
  };
}

function serialize({ doc, yamlHead, yamlTail }: Loaded, serverUrl: string, format: OpenApiFormat): Buffer {
  const servers = [{ url: serverUrl, description: servedServerDescription }];
  if (format === "json") {
    // Same layout as the generator's renderJson; spreading keeps the key order.
    return Buffer.from(`${JSON.stringify({ ...doc, servers }, null, 2)}\n`);
  }
  // JSON strings are valid YAML double-quoted scalars (YAML 1.2 is a JSON superset).
  const block = servers.map((s) => `  - url: ${JSON.stringify(s.url)}\n    description: ${JSON.stringify(s.description)}\n`).join("");
  return Buffer.from(`${yamlHead}servers:\n${block}${yamlTail}`);
}

/**
 * Split the generated YAML around its top-level `servers:` block (the line
 * `servers:` and every following line that is indented or a sequence item),
 * so a served copy is the committed text with only that block replaced.
 * Throws when there is no such block.
 */
export function splitYamlServers(yaml: string): { yamlHead: string; yamlTail: string } {
  const key = "servers:\n";
  const found = yaml.startsWith(key) ? 0 : yaml.indexOf(`\n${key}`);
  if (found === -1) throw new Error(`${openApiYamlFile} has no top-level servers block`);
  const start = yaml.startsWith(key) ? 0 : found + 1;
  let end = start + key.length;
  while (end < yaml.length && (yaml[end] === " " || yaml[end] === "-")) {
    const newline = yaml.indexOf("\n", end);
    end = newline === -1 ? yaml.length : newline + 1;
  }
  return { yamlHead: yaml.slice(0, start), yamlTail: yaml.slice(end) };
}
