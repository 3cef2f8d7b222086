/**
 * The express routes behind the RPCs (health, readiness, unknown paths) over
 * HTTP/1.1 and h2c, on TCP and the unix socket; and the unix socket's
 * `:authority` fix for HTTP/2 clients that send the socket path.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { VersionRequestSchema, VersionResponseSchema } from "../../gen/runtime/v1/api_pb.js";
import { type CurlTarget, runCurl } from "../helpers/curl.js";
import { grpcEnvelope, h2Request } from "../helpers/raw-http2.js";
import { type TestGateway, startTestGateway } from "../helpers/start-gateway.js";

describe("express routes over both HTTP versions", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  const targets: { name: string; target: () => CurlTarget }[] = [
    { name: "HTTP/1.1 over TCP", target: () => ({ url: gw.url }) },
    { name: "h2c over TCP", target: () => ({ url: gw.url, http2: true }) },
    { name: "HTTP/1.1 over the unix socket", target: () => ({ url: gw.url, socketPath: gw.socketPath }) },
    { name: "h2c over the unix socket", target: () => ({ url: gw.url, socketPath: gw.socketPath, http2: true }) },
  ];

  for (const { name, target } of targets) {
    it(`answers GET /healthz, /readyz and an unknown path with JSON over ${name}`, async () => {
      const t = target();
      const httpVersion = t.http2 === true ? "2" : "1.1";

      const health = await runCurl(t, { method: "GET", path: "/healthz" });
      assert.equal(health.httpVersion, httpVersion);
      assert.equal(health.status, 200);
      assert.match(health.headers["content-type"] ?? "", /^application\/json/);
      assert.deepEqual(JSON.parse(health.body), { status: "ok", version: "0.1.0" });
      assert.equal(health.headers["x-powered-by"], undefined);

      const ready = await runCurl(t, { method: "GET", path: "/readyz" });
      assert.equal(ready.status, 200);
      assert.deepEqual(JSON.parse(ready.body), { status: "ready", runtime: "memory" });

      const unknown = await runCurl(t, { method: "GET", path: "/no/such/path?x=1" });
      assert.equal(unknown.status, 404);
      assert.match(unknown.headers["content-type"] ?? "", /^application\/json/);
      assert.deepEqual(JSON.parse(unknown.body), { code: "not_found", message: "no route for GET /no/such/path" });
    });
  }

  it("answers a POST to an unknown path with a 404 JSON body over HTTP/1.1", async () => {
    const res = await runCurl({ url: gw.url }, { path: "/healthz/extra", headers: { "Content-Type": "application/json" }, body: "{}" });
    assert.equal(res.status, 404);
    assert.deepEqual(JSON.parse(res.body), { code: "not_found", message: "no route for POST /healthz/extra" });
  });

  for (const authority of ["socket path", "unix:// URL"]) {
    it(`serves gRPC over the unix socket when :authority is the ${authority}`, async () => {
      const value = authority === "socket path" ? gw.socketPath : `unix://${gw.socketPath}`;
      const res = await h2Request(
        { url: gw.url, socketPath: gw.socketPath },
        {
          ":path": "/runtime.v1.RuntimeService/Version",
          ":authority": value,
          "content-type": "application/grpc",
          te: "trailers",
        },
        grpcEnvelope(toBinary(VersionRequestSchema, create(VersionRequestSchema, { version: "v1" }))),
      );
      assert.equal(res.status, 200);
      assert.equal(res.trailers["grpc-status"], "0");
      const reply = fromBinary(VersionResponseSchema, res.body.subarray(5));
      assert.equal(reply.runtimeName, "cri-gateway-memory");

      const health = await h2Request({ url: gw.url, socketPath: gw.socketPath }, { ":method": "GET", ":path": "/healthz", ":authority": value });
      assert.equal(health.status, 200);
      assert.deepEqual(JSON.parse(health.body.toString()), { status: "ok", version: "0.1.0" });

      // The same request on TCP, which has no fix, is refused by nghttp2:
      // proof that the client really sent that :authority.
      await assert.rejects(
        h2Request({ url: gw.url }, { ":method": "GET", ":path": "/healthz", ":authority": value }),
        /NGHTTP2_PROTOCOL_ERROR/,
      );
    });
  }
});
