import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { after, before, describe, it } from "node:test";
import { http2MaxConcurrentStreams } from "./limits.js";
import { serve } from "./serve.js";
import type { RequestHandler, Serving } from "./serve-options.js";
import { echoHandler, h2Connect, h2Request, makeTempDir } from "./test-helpers.test.js";
import type { Echo } from "./test-helpers.test.js";

const openssl = "/usr/bin/openssl";

/** A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI. */
function makeCertificate(dir: string): { key: Buffer; cert: Buffer } {
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync(openssl, [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
  ], { stdio: "ignore" });
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

describe("TLS with ALPN", { skip: existsSync(openssl) ? false : "no openssl CLI to make a certificate" }, () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let material: { key: Buffer; cert: Buffer };
  let serving: Serving;
  let calls = 0;
  const counting: RequestHandler = (req, res) => {
    calls++;
    echoHandler(req, res);
  };

  before(async () => {
    temp = await makeTempDir();
    material = makeCertificate(temp.dir);
    serving = await serve({
      handler: counting,
      tcp: { host: "127.0.0.1", port: 0 },
      tls: material,
      logger: { debug() {}, warn() {} },
    });
  });
  after(async () => {
    await serving.close({ graceMs: 1000 });
    await temp.remove();
  });

  it("reports an https URL", () => {
    assert.equal(serving.tcp?.url, `https://127.0.0.1:${serving.tcp?.port}`);
  });

  it("speaks HTTP/2 when the client offers h2", async () => {
    const session = await h2Connect({ url: serving.tcp?.url ?? "" }, { ca: material.cert });
    try {
      assert.equal(session.alpnProtocol, "h2");
      const reply = await h2Request(session, { ":path": "/over-h2" });
      assert.equal(reply.status, 200);
      assert.equal((JSON.parse(reply.body) as Echo).httpVersion, "2.0");
    } finally {
      session.close();
    }
  });

  it("advertises at most http2MaxConcurrentStreams streams over TLS", async () => {
    const session = await h2Connect({ url: serving.tcp?.url ?? "" }, { ca: material.cert });
    try {
      assert.equal((await h2Request(session, {})).status, 200);
      assert.equal(session.remoteSettings.maxConcurrentStreams, http2MaxConcurrentStreams);
      assert.equal(session.remoteSettings.headerTableSize, 4096);
    } finally {
      session.close();
    }
  });

  it("refuses a host that is not allowed with 421 over TLS", async () => {
    const session = await h2Connect({ url: serving.tcp?.url ?? "" }, { ca: material.cert });
    try {
      const before = calls;
      const reply = await h2Request(session, { ":authority": "evil.example" });
      assert.equal(reply.status, 421);
      assert.equal((JSON.parse(reply.body) as { code: string }).code, "permission_denied");
      assert.equal(calls, before, "the handler never ran");
      assert.equal((await h2Request(session, { ":authority": "localhost" })).status, 200);
    } finally {
      session.close();
    }
  });

  it("speaks HTTP/1.1 when the client offers only http/1.1", async () => {
    // https passes ALPNProtocols on to tls.connect, though its typings omit it.
    const options: https.RequestOptions & { ALPNProtocols: string[] } = {
      host: "127.0.0.1",
      port: serving.tcp?.port ?? 0,
      path: "/over-h1",
      ca: material.cert,
      ALPNProtocols: ["http/1.1"],
      agent: false,
    };
    const reply = await new Promise<{ status: number; body: string; alpn: string | false | null }>((resolve, reject) => {
      const req = https.request(options, (res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk.toString()));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body, alpn: (res.socket as TLSSocket).alpnProtocol }),
          );
      });
      req.on("error", reject);
      req.end();
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.alpn, "http/1.1");
    assert.equal((JSON.parse(reply.body) as Echo).httpVersion, "1.1");
  });

  it("refuses plaintext HTTP/1.1 and h2c on the TLS port", async () => {
    const before = calls;
    const h1 = await new Promise<string>((resolve) => {
      const req = http.get({ host: "127.0.0.1", port: serving.tcp?.port, path: "/", agent: false }, (res) =>
        resolve(`answered ${res.statusCode}`),
      );
      req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    assert.match(h1, /^(ECONNRESET|HPE_INVALID_CONSTANT|EPIPE)$/, `plaintext HTTP/1.1 got: ${h1}`);
    const h2 = await h2Connect({ url: `http://127.0.0.1:${serving.tcp?.port}` }).then(
      async (session) => {
        const reply = await h2Request(session, {});
        session.destroy();
        return `status ${reply.status}`;
      },
      (err: NodeJS.ErrnoException) => err.code ?? err.message,
    );
    assert.notEqual(h2, "status 200", "h2c must not be served on the TLS port");
    assert.equal(calls, before, "the handler never ran");
  });

  it("applies maxHeaderBytes to HTTP/1.1 over TLS", async () => {
    const limited = await serve({
      handler: echoHandler,
      tcp: { host: "127.0.0.1", port: 0 },
      tls: material,
      maxHeaderBytes: 1024,
      logger: { debug() {}, warn() {} },
    });
    try {
      const status = (size: number) =>
        new Promise<number>((resolve, reject) => {
          const req = https.get(
            { host: "127.0.0.1", port: limited.tcp?.port ?? 0, ca: material.cert, headers: { "x-h": "v".repeat(size) }, agent: false },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on("error", reject);
        });
      assert.equal(await status(100), 200);
      assert.equal(await status(2000), 431);
    } finally {
      await limited.close({ graceMs: 500 });
    }
  });

  it("requires a client certificate when requestCert is set", async () => {
    const mtls = await serve({
      handler: echoHandler,
      tcp: { host: "127.0.0.1", port: 0 },
      tls: { ...material, ca: material.cert, requestCert: true },
      logger: { debug() {}, warn() {} },
    });
    try {
      const url = mtls.tcp?.url ?? "";
      const without = await h2Connect({ url }, { ca: material.cert }).then(
        async (session) => {
          const reply = await h2Request(session, {});
          session.destroy();
          return reply.status === 200 ? "served" : "refused";
        },
        () => "refused",
      );
      assert.equal(without, "refused");
      const session = await h2Connect({ url }, { ca: material.cert, key: material.key, cert: material.cert });
      try {
        assert.equal((await h2Request(session, {})).status, 200);
      } finally {
        session.close();
      }
    } finally {
      await mtls.close({ graceMs: 500 });
    }
  });
});
