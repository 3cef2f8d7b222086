/**
 * One real request per server, protocol and method before any load, so a
 * fast server that answers errors cannot pass for a fast server: HTTP 200, a
 * non-empty body that decodes to the expected reply, and grpc-status 0 for
 * gRPC (trailers) and gRPC-Web (trailer frame).
 */
import http from "node:http";
import http2 from "node:http2";
import { type DescMessage, fromBinary, fromJsonString } from "@bufbuild/protobuf";
import {
  type BenchMethod,
  type ProtocolName,
  methodSpecs,
  parseFrames,
  requestBody,
  requestHeaders,
} from "./payloads.js";

/** Containers every ListContainers reply must hold. */
export const expectedContainers = 50;

/** Send one request and throw unless the answer is a correct reply. Returns the body size. */
export async function checkOnce(url: string, protocol: ProtocolName, method: BenchMethod): Promise<number> {
  const spec = methodSpecs[method];
  const body = requestBody(protocol, method);
  const headers = requestHeaders(protocol);
  const what = `${protocol} ${method} at ${url}`;
  const reply =
    protocol === "grpc" ? await postH2(url + spec.path, headers, body) : await postH1(url + spec.path, headers, body);
  if (reply.status !== 200) throw new Error(`${what}: HTTP ${reply.status}: ${reply.body.toString().slice(0, 300)}`);
  if (reply.body.byteLength === 0) throw new Error(`${what}: empty body`);
  if (protocol === "connect-json") {
    checkReply(what, method, fromJsonString(spec.output as DescMessage, reply.body.toString("utf8")));
    return reply.body.byteLength;
  }
  const frames = parseFrames(reply.body);
  const data = frames.filter((f) => (f.flags & 0x80) === 0);
  if (data.length !== 1) throw new Error(`${what}: ${data.length} data frames`);
  const payload = (data[0] as { data: Uint8Array }).data;
  const grpcStatus =
    protocol === "grpc"
      ? reply.trailers["grpc-status"]
      : /grpc-status:\s*(\d+)/i.exec(Buffer.from(frames.find((f) => (f.flags & 0x80) !== 0)?.data ?? []).toString())?.[1];
  if (grpcStatus !== "0") throw new Error(`${what}: grpc-status ${String(grpcStatus)}`);
  checkReply(what, method, fromBinary(spec.output as DescMessage, payload));
  return reply.body.byteLength;
}

function checkReply(what: string, method: BenchMethod, message: object): void {
  if (method === "Version") {
    const runtimeName = (message as { runtimeName?: string }).runtimeName;
    if (runtimeName === undefined || runtimeName === "") throw new Error(`${what}: no runtime_name`);
  } else {
    const count = (message as { containers?: unknown[] }).containers?.length ?? 0;
    if (count !== expectedContainers) throw new Error(`${what}: ${count} containers, expected ${expectedContainers}`);
  }
}

interface Reply {
  status: number;
  body: Buffer;
  trailers: Record<string, string | string[] | undefined>;
}

function postH1(url: string, headers: Record<string, string>, body: Uint8Array): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers: { ...headers, "content-length": body.byteLength } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), trailers: res.trailers }));
      res.on("error", reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

function postH2(url: string, headers: Record<string, string>, body: Uint8Array): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const session = http2.connect(target.origin);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": target.pathname, ...headers });
    stream.setTimeout(10_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    let status = 0;
    let trailers: Reply["trailers"] = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      // A trailers-only gRPC reply carries grpc-status in the headers.
      if (h["grpc-status"] !== undefined) trailers = h;
    });
    stream.on("trailers", (t) => {
      trailers = t;
    });
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      session.close();
      resolve({ status, body: Buffer.concat(chunks), trailers });
    });
    stream.on("error", (err: Error) => {
      session.destroy();
      reject(err);
    });
    stream.end(body);
  });
}
