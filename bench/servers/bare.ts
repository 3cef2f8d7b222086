/**
 * The ceiling: plain node:http and node:http2 (compat API, as connect-node
 * uses) answering every bench request with bytes encoded once at startup
 * from the same seeded memory runtime. It reads the request body, checks
 * nothing and decodes nothing.
 */
import http from "node:http";
import http2 from "node:http2";
import { toBinary, toJsonString } from "@bufbuild/protobuf";
import type { DescMessage, Message } from "@bufbuild/protobuf";
import { createCallContext } from "../../src/core/call-context.js";
import { frame, grpcWebOkTrailer, methodSpecs } from "../payloads.js";
import { announce, closeServer, createSeededRuntime, listenLoopback } from "./harness.js";

const core = await createSeededRuntime();
const ctx = createCallContext();
const replies: [string, DescMessage, Message][] = [
  [methodSpecs.Version.path, methodSpecs.Version.output, await core.version(methodSpecs.Version.request, ctx)],
  [
    methodSpecs.ListContainers.path,
    methodSpecs.ListContainers.output,
    await core.listContainers(methodSpecs.ListContainers.request, ctx),
  ],
];
const json = new Map<string, Buffer>();
const grpc = new Map<string, Uint8Array>();
const grpcWeb = new Map<string, Buffer>();
for (const [path, schema, message] of replies) {
  const binary = toBinary(schema, message);
  json.set(path, Buffer.from(toJsonString(schema, message)));
  grpc.set(path, frame(binary));
  grpcWeb.set(path, Buffer.concat([frame(binary), grpcWebOkTrailer()]));
}

const h1 = http.createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    const web = req.headers["content-type"]?.startsWith("application/grpc-web") === true;
    const body = (web ? grpcWeb : json).get(req.url ?? "");
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      "content-type": web ? "application/grpc-web+proto" : "application/json",
      "content-length": String(body.byteLength),
    });
    res.end(body);
  });
});

const h2 = http2.createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    const body = grpc.get(req.url);
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/grpc" });
    res.addTrailers({ "grpc-status": "0" });
    res.end(body);
  });
});

announce({ h1: await listenLoopback(h1), h2: await listenLoopback(h2) }, async () => {
  await Promise.all([closeServer(h1), closeServer(h2)]);
});
