/**
 * The unary fast path (src/protocol) and stock connect-node must agree: the
 * same call answered by either path gives the same result and the same
 * error code. Compressed requests always take the stock path, so each case
 * is sent twice, once plain and once gzip-compressed, over every protocol.
 * Also the gRPC framing edge cases the fast path handles itself.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, type Transport, createClient } from "@connectrpc/connect";
import {
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { ImageService, RuntimeService } from "../../gen/runtime/v1/api_pb.js";
import { h2Request } from "../helpers/raw-http2.js";
import { type TestGateway, startTestGateway } from "../helpers/start-gateway.js";

const versionPath = "/runtime.v1.RuntimeService/Version";

function clientsFor(transport: Transport) {
  return { runtime: createClient(RuntimeService, transport), image: createClient(ImageService, transport) };
}

function frame(flags: number, data: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + data.byteLength);
  out[0] = flags;
  out.writeUInt32BE(data.byteLength, 1);
  out.set(data, 5);
  return out;
}

describe("unary fast path and stock connect-node agree", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  const protocols = [
    ["gRPC", (url: string, gzip: boolean) => createGrpcTransport({ baseUrl: url, sendCompression: gzip ? compressionGzip : undefined })],
    ["gRPC-Web", (url: string, gzip: boolean) => createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1", sendCompression: gzip ? compressionGzip : undefined })],
    ["Connect JSON", (url: string, gzip: boolean) => createConnectTransport({ baseUrl: url, httpVersion: "1.1", sendCompression: gzip ? compressionGzip : undefined, compressMinBytes: 0 })],
    ["Connect binary", (url: string, gzip: boolean) => createConnectTransport({ baseUrl: url, httpVersion: "2", useBinaryFormat: true, sendCompression: gzip ? compressionGzip : undefined, compressMinBytes: 0 })],
  ] as const;

  for (const [name, transportFor] of protocols) {
    it(`gives the same answers and errors over ${name} on both paths`, async () => {
      const fast = clientsFor(transportFor(gw.url, false));
      const stock = clientsFor(transportFor(gw.url, true));

      assert.deepEqual(await fast.runtime.version({}), await stock.runtime.version({}));
      const pulled = await fast.image.pullImage({ image: { image: `fast-path/${name.replace(/ /g, "-").toLowerCase()}:1` } });
      const viaStock = await stock.image.imageStatus({ image: { image: pulled.imageRef } });
      const viaFast = await fast.image.imageStatus({ image: { image: pulled.imageRef } });
      assert.equal(viaStock.image?.id, pulled.imageRef);
      assert.deepEqual(viaFast, viaStock);

      for (const client of [fast, stock]) {
        const err = await client.runtime.containerStatus({ containerId: "0000dead" }).then(
          () => assert.fail("unknown container answered"),
          (e: unknown) => ConnectError.from(e),
        );
        assert.equal(err.code, Code.NotFound);
        assert.equal(err.rawMessage, 'container "0000dead" not found');
        const missing = await client.runtime.stopContainer({}).then(
          () => assert.fail("missing id accepted"),
          (e: unknown) => ConnectError.from(e),
        );
        assert.equal(missing.code, Code.InvalidArgument);
        assert.equal(missing.rawMessage, "container_id is required");
      }
    });
  }

  it("answers a gRPC body with two messages with invalid_argument", async () => {
    const res = await h2Request(
      gw,
      { ":method": "POST", ":path": versionPath, "content-type": "application/grpc", te: "trailers" },
      Buffer.concat([frame(0, new Uint8Array()), frame(0, new Uint8Array())]),
    );
    assert.equal(res.trailers["grpc-status"], String(Code.InvalidArgument));
    assert.match(decodeURIComponent(String(res.trailers["grpc-message"])), /exactly one message/);
  });

  it("answers an empty gRPC body with invalid_argument", async () => {
    const res = await h2Request(gw, { ":method": "POST", ":path": versionPath, "content-type": "application/grpc", te: "trailers" }, new Uint8Array());
    assert.equal(res.trailers["grpc-status"], String(Code.InvalidArgument));
  });

  it("answers a compressed flag without grpc-encoding with internal, as the gRPC spec says", async () => {
    const res = await h2Request(
      gw,
      { ":method": "POST", ":path": versionPath, "content-type": "application/grpc", te: "trailers" },
      frame(1, new Uint8Array()),
    );
    assert.equal(res.trailers["grpc-status"], String(Code.Internal));
  });

  it("serves a plain gRPC Version with the reply in one frame and status 0 in trailers", async () => {
    const res = await h2Request(
      gw,
      { ":method": "POST", ":path": versionPath, "content-type": "application/grpc+proto", te: "trailers" },
      frame(0, new Uint8Array()),
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "application/grpc+proto");
    assert.equal(res.trailers["grpc-status"], "0");
    assert.equal(res.body.readUInt32BE(1), res.body.byteLength - 5);
    assert.match(res.body.subarray(5).toString("latin1"), /cri-gateway-memory/);
  });

  it("ends a gRPC-Web reply with a trailer frame carrying the status", async () => {
    const res = await h2Request(
      gw,
      { ":method": "POST", ":path": "/runtime.v1.RuntimeService/ContainerStatus", "content-type": "application/grpc-web+proto" },
      frame(0, Buffer.from([0x0a, 0x02, 0x7a, 0x7a])), // container_id: "zz"
    );
    assert.equal(res.status, 200);
    assert.equal(res.body[0], 0x80);
    const trailer = res.body.subarray(5).toString("utf8");
    assert.match(trailer, /grpc-status: 5\r\n/);
    assert.match(trailer, /grpc-message: container%20%22zz%22%20not%20found\r\n/);
  });

  it("treats a timeout beyond what timers can hold as no deadline rather than an instant one", async () => {
    for (const [header, value] of [["grpc-timeout", "99999999H"], ["connect-timeout-ms", "3000000000"]] as const) {
      const grpc = header === "grpc-timeout";
      const res = await h2Request(
        gw,
        {
          ":method": "POST",
          ":path": versionPath,
          "content-type": grpc ? "application/grpc" : "application/proto",
          [header]: value,
          ...(grpc ? { te: "trailers" } : {}),
        },
        grpc ? frame(0, new Uint8Array()) : new Uint8Array(),
      );
      assert.equal(res.status, 200, `${header}: ${value}`);
      if (grpc) assert.equal(res.trailers["grpc-status"], "0");
    }
  });

  it("counts the deadline from the request's arrival, not from the end of a slow upload", async () => {
    const http2 = await import("node:http2");
    const session = http2.connect(gw.url);
    try {
      const started = Date.now();
      const stream = session.request({
        ":method": "POST",
        ":path": versionPath,
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": "200m",
      });
      // Send half a frame and never finish: only the deadline can end this call.
      stream.write(Buffer.from([0, 0, 0, 0, 9]));
      const trailers = await new Promise<Record<string, unknown>>((resolve, reject) => {
        stream.on("trailers", resolve);
        stream.on("error", reject);
        stream.resume();
        setTimeout(() => reject(new Error("no answer within 5 s")), 5000).unref();
      });
      assert.equal(trailers["grpc-status"], String(Code.DeadlineExceeded));
      assert.ok(Date.now() - started < 2000, "answered near the deadline");
      stream.close();
    } finally {
      session.close();
    }
  });
});
