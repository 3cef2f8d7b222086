/**
 * The real gateway serves /openapi.json, /openapi.yaml and /docs on every
 * listener: TCP (HTTP/1.1 and cleartext HTTP/2), the unix socket (both, and
 * the `:authority` fix for clients that send the socket path), and TLS; the
 * `servers` entry is the address that was used, and calling it works.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCurl } from "../helpers/curl.js";
import { type TestGateway, startTestGateway } from "../helpers/start-gateway.js";
import { assertDocsPage, assertServedDocuments, curlGetter, fetchGetter, h2Getter, tlsGetter } from "./served-checks.js";

const openssl = "/usr/bin/openssl";

describe("OpenAPI document and docs on the gateway", () => {
  let gw: TestGateway;

  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw?.close());

  it("serves the document over TCP with servers = the gateway's URL (HTTP/1.1 and HTTP/2)", async (t) => {
    await assertServedDocuments(fetchGetter(gw.url), gw.url);
    await assertServedDocuments(curlGetter({ url: gw.url, http2: true }), gw.url);
    const localhost = gw.url.replace("127.0.0.1", "localhost");
    await assertServedDocuments(h2Getter({ url: gw.url }, new URL(localhost).host), localhost);
  });

  it("serves it over the unix socket with servers = http://localhost, even for a socket-path :authority", async (t) => {
    const target = { url: "http://localhost", socketPath: gw.socketPath };
    await assertServedDocuments(curlGetter(target), "http://localhost");
    await assertServedDocuments(curlGetter({ ...target, http2: true }), "http://localhost");
    await assertServedDocuments(h2Getter(target, gw.socketPath), "http://localhost");
  });

  it("names a server that answers the document's calls, on TCP and on the socket", async (t) => {
    for (const target of [{ url: gw.url }, { url: "http://localhost", socketPath: gw.socketPath }]) {
      const doc = JSON.parse((await runCurl(target, { method: "GET", path: "/openapi.json" })).body) as { servers: { url: string }[] };
      const server = doc.servers[0]?.url ?? "";
      const res = await runCurl(
        { ...target, url: server },
        { path: "/runtime.v1.RuntimeService/Version", headers: { "Content-Type": "application/json" }, body: "{}" },
      );
      assert.equal(res.status, 200, `${server}: ${res.body}`);
      assert.equal((JSON.parse(res.body) as { runtimeApiVersion?: string }).runtimeApiVersion, "v1");
    }
  });

  it("serves Swagger UI docs with local assets only, on TCP (both protocols) and the socket", async (t) => {
    await assertDocsPage(fetchGetter(gw.url));
    await assertDocsPage(curlGetter({ url: gw.url, http2: true }));
    await assertDocsPage(curlGetter({ url: "http://localhost", socketPath: gw.socketPath }));
  });

  it("keeps unknown paths under /docs on the gateway's not-found answer", async (t) => {
    const res = await runCurl({ url: gw.url }, { method: "GET", path: "/docs/package.json" });
    assert.equal(res.status, 404);
    assert.equal((JSON.parse(res.body) as { code?: string }).code, "not_found");
  });

  describe("over TLS", { skip: existsSync(openssl) ? false : "no openssl CLI to make a certificate" }, () => {
    let tlsGw: TestGateway;
    let dir: string;
    let ca: Buffer;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "cri-docs-tls-"));
      const [keyFile, certFile] = [join(dir, "key.pem"), join(dir, "cert.pem")];
      execFileSync(openssl, [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
      ], { stdio: "ignore" });
      ca = readFileSync(certFile);
      tlsGw = await startTestGateway({ tls: { certFile, keyFile } });
    });
    after(async () => {
      await tlsGw?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it("says https in servers, over HTTP/1.1 and HTTP/2 (ALPN)", async (t) => {
      assert.match(tlsGw.url, /^https:\/\//);
      await assertServedDocuments(tlsGetter(tlsGw.url, ca, { http2: false }), tlsGw.url);
      await assertServedDocuments(tlsGetter(tlsGw.url, ca, { http2: true }), tlsGw.url);
      await assertDocsPage(tlsGetter(tlsGw.url, ca, { http2: true }));
    });
  });
});
