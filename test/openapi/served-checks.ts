/**
 * Checks shared by the tests of the OpenAPI router (in a small express app)
 * and of the real gateway: the served document is the committed one with
 * only `servers` changed, and the docs page loads nothing from another host.
 * Each takes a {@link Getter}, so one check runs over fetch, curl, HTTP/2, TLS
 * and the unix socket alike.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { runCurl, type CurlTarget } from "../helpers/curl.js";
import { h2Request, type RawTarget } from "../helpers/raw-http2.js";

/** One GET's outcome. Header names are lower case. */
export interface Got {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Sends `GET path` (or HEAD) somewhere. */
export type Getter = (path: string, options?: { method?: "GET" | "HEAD"; headers?: Record<string, string> }) => Promise<Got>;

const root = resolve(import.meta.dirname, "../..");

/** The committed files, read once. */
export const committed = {
  json: readFileSync(join(root, "openapi", "cri.openapi.json"), "utf8"),
  yaml: readFileSync(join(root, "openapi", "cri.openapi.yaml"), "utf8"),
};

function flatHeaders(headers: Record<string, string | string[] | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !name.startsWith(":")) out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

/** GET with the fetch built into Node (HTTP/1.1). */
export function fetchGetter(baseUrl: string): Getter {
  return async (path, { method = "GET", headers = {} } = {}) => {
    const res = await fetch(`${baseUrl}${path}`, { method, headers, redirect: "manual" });
    return { status: res.status, headers: Object.fromEntries(res.headers), body: Buffer.from(await res.arrayBuffer()) };
  };
}

/** GET with the curl binary, HTTP/1.1 or HTTP/2, TCP or unix socket. Bodies are read as text. */
export function curlGetter(target: CurlTarget): Getter {
  return async (path, { method = "GET", headers } = {}) => {
    const res = await runCurl(target, { method, path, headers });
    return { status: res.status, headers: res.headers, body: Buffer.from(res.body) };
  };
}

/** GET over a fresh HTTP/2 session (prior knowledge), TCP or unix socket. */
export function h2Getter(target: RawTarget, authority?: string): Getter {
  return async (path, { method = "GET", headers = {} } = {}) => {
    const res = await h2Request(target, { ":method": method, ":path": path, ...(authority && { ":authority": authority }), ...headers });
    return { status: res.status, headers: flatHeaders(res.headers), body: res.body };
  };
}

/** GET over TLS, trusting `ca`: HTTP/2 when `http2`, else HTTP/1.1. */
export function tlsGetter(baseUrl: string, ca: Buffer, { http2: useHttp2 }: { http2: boolean }): Getter {
  if (useHttp2) {
    return (path, { method = "GET", headers = {} } = {}) =>
      new Promise((resolvePromise, reject) => {
        const session = http2.connect(baseUrl, { ca });
        session.on("error", reject);
        const stream = session.request({ ":method": method, ":path": path, ...headers });
        const chunks: Buffer[] = [];
        let head: Record<string, string> = {};
        let status = 0;
        stream.on("response", (h) => {
          status = Number(h[":status"]);
          head = flatHeaders(h);
        });
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("error", reject);
        stream.on("end", () => {
          session.close();
          resolvePromise({ status, headers: head, body: Buffer.concat(chunks) });
        });
        stream.end();
      });
  }
  return (path, { method = "GET", headers = {} } = {}) =>
    new Promise((resolvePromise, reject) => {
      const req = https.request(`${baseUrl}${path}`, { method, headers, ca, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolvePromise({ status: res.statusCode ?? 0, headers: flatHeaders(res.headers), body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
}

/** The committed YAML's lines, split around the top-level `servers:` block. */
function yamlOutsideServers(text: string): { before: string; after: string } {
  const lines = text.split("\n");
  const start = lines.indexOf("servers:");
  assert.ok(start > 0, "a top-level servers block");
  let end = start + 1;
  while (end < lines.length && /^[ -]/.test(lines[end] ?? "")) end++;
  return { before: lines.slice(0, start).join("\n"), after: lines.slice(end).join("\n") };
}

/**
 * Both forms of the document are served, equal to the committed files except
 * for `servers`, which names `serverUrl`.
 */
export async function assertServedDocuments(get: Getter, serverUrl: string): Promise<void> {
  const json = await get("/openapi.json");
  assert.equal(json.status, 200);
  assert.match(json.headers["content-type"] ?? "", /^application\/json/);
  const served = JSON.parse(json.body.toString("utf8")) as { servers: { url: string }[] };
  assert.equal(served.servers.length, 1);
  assert.equal(served.servers[0]?.url, serverUrl);
  const expected = JSON.parse(committed.json) as Record<string, unknown>;
  assert.deepEqual({ ...served, servers: expected.servers }, expected, "the JSON is the committed document but for servers");
  assert.deepEqual(Object.keys(served), Object.keys(expected), "keys keep their order");

  const yaml = await get("/openapi.yaml");
  assert.equal(yaml.status, 200);
  assert.match(yaml.headers["content-type"] ?? "", /^application\/yaml/);
  const text = yaml.body.toString("utf8");
  assert.deepEqual(yamlOutsideServers(text), yamlOutsideServers(committed.yaml), "the YAML is the committed text but for servers");
  assert.deepEqual(parseYaml(text), served, "YAML and JSON carry the same document");
}

/** The `src` and `href` attribute values of an HTML page. */
export function referencedAssets(html: string): string[] {
  return [...html.matchAll(/\s(?:src|href)\s*=\s*"([^"]*)"/gi)].map((m) => m[1] ?? "");
}

/**
 * `/docs` (and `/docs/`) serve Swagger UI pointing at this gateway's
 * document, and every asset the page references is local and served.
 */
export async function assertDocsPage(get: Getter, base = ""): Promise<void> {
  for (const path of [`${base}/docs`, `${base}/docs/`]) {
    const page = await get(path);
    assert.equal(page.status, 200, path);
    assert.match(page.headers["content-type"] ?? "", /^text\/html/);
    const csp = page.headers["content-security-policy"] ?? "";
    assert.match(csp, /default-src 'self'/, "the page may load from its own origin only");
    assert.doesNotMatch(csp, /https?:|\*/, "the CSP names no other host");
    const html = page.body.toString("utf8");
    assert.match(html, new RegExp(`data-openapi-url="${base}/openapi.json"`));
    const assets = referencedAssets(html);
    assert.ok(assets.length >= 3, `assets: ${assets.join(", ")}`);
    for (const asset of assets) {
      assert.doesNotMatch(asset, /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i, `${asset} must be a path on this gateway, not a URL`);
      assert.ok(asset.startsWith(`${base}/docs/`), `${asset} is under ${base}/docs/`);
      const got = await get(asset);
      assert.equal(got.status, 200, `${asset} is served`);
      assert.ok(got.body.length > 0, `${asset} is not empty`);
      const type = got.headers["content-type"] ?? "";
      if (asset.endsWith(".js")) {
        assert.match(type, /javascript/, asset);
      } else if (asset.endsWith(".css")) {
        assert.match(type, /^text\/css/, asset);
        const css = got.body.toString("utf8");
        assert.doesNotMatch(css, /url\(\s*["']?(?:https?:)?\/\//i, "the stylesheet loads nothing from other hosts");
        assert.doesNotMatch(css, /@import/i);
      } else if (asset.endsWith(".png")) {
        assert.match(type, /^image\/png/, asset);
      }
    }
  }
  const init = (await get(`${base}/docs/swagger-initializer.js`)).body.toString("utf8");
  assert.match(init, /validatorUrl:\s*null/, "the validator badge (validator.swagger.io) is off");
  assert.doesNotMatch(init, /https?:\/\//, "the initializer names no URL");
}
