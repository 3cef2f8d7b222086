/**
 * The requests the protocol bench sends, in each wire format, and the framing
 * helpers gRPC and gRPC-Web share (a 5-byte prefix: flags, then a big-endian
 * length; https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md).
 */
import { type DescMessage, type MessageShape, create, toBinary, toJsonString } from "@bufbuild/protobuf";
import {
  ListContainersRequestSchema,
  ListContainersResponseSchema,
  VersionRequestSchema,
  VersionResponseSchema,
} from "../gen/runtime/v1/api_pb.js";

/** The three wire protocols measured. */
export type ProtocolName = "connect-json" | "grpc" | "grpc-web";
/** The two methods measured. */
export type BenchMethod = "Version" | "ListContainers";

export const protocolNames: readonly ProtocolName[] = ["connect-json", "grpc", "grpc-web"];
export const benchMethods: readonly BenchMethod[] = ["Version", "ListContainers"];

/** What each method sends and answers. */
export const methodSpecs = {
  Version: {
    path: "/runtime.v1.RuntimeService/Version",
    input: VersionRequestSchema,
    output: VersionResponseSchema,
    // What the kubelet sends.
    request: create(VersionRequestSchema, { version: "0.1.0" }),
  },
  ListContainers: {
    path: "/runtime.v1.RuntimeService/ListContainers",
    input: ListContainersRequestSchema,
    output: ListContainersResponseSchema,
    request: create(ListContainersRequestSchema, {}),
  },
} as const;

/** HTTP/2 (h2c) for gRPC, HTTP/1.1 keep-alive for the others. */
export function usesHttp2(protocol: ProtocolName): boolean {
  return protocol === "grpc";
}

/** Request headers a real client of `protocol` sends (besides method, path, length). */
export function requestHeaders(protocol: ProtocolName): Record<string, string> {
  switch (protocol) {
    case "connect-json":
      return { "content-type": "application/json", "connect-protocol-version": "1" };
    case "grpc":
      return { "content-type": "application/grpc", te: "trailers" };
    case "grpc-web":
      return { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" };
  }
}

/** The request body of `method` in `protocol`'s wire format. */
export function requestBody(protocol: ProtocolName, method: BenchMethod): Uint8Array {
  const spec = methodSpecs[method];
  return encodeBody(protocol, spec.input as DescMessage, spec.request);
}

/** Encode one message as a unary body (Connect JSON, or one gRPC/gRPC-Web frame). */
export function encodeBody<D extends DescMessage>(protocol: ProtocolName, schema: D, message: MessageShape<D>): Uint8Array {
  if (protocol === "connect-json") return Buffer.from(toJsonString(schema, message));
  return frame(toBinary(schema, message));
}

/** gRPC framing of one message (flags 0: uncompressed data). */
export function frame(payload: Uint8Array, flags = 0): Uint8Array {
  const out = Buffer.alloc(5 + payload.byteLength);
  out[0] = flags;
  out.writeUInt32BE(payload.byteLength, 1);
  out.set(payload, 5);
  return out;
}

/** The gRPC-Web trailer frame (flag 0x80) for a successful call. */
export function grpcWebOkTrailer(): Uint8Array {
  return frame(Buffer.from("grpc-status:0\r\n"), 0x80);
}

/** Split a body into frames; throws on a truncated frame. */
export function parseFrames(body: Uint8Array): { flags: number; data: Uint8Array }[] {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const out: { flags: number; data: Uint8Array }[] = [];
  let at = 0;
  while (at < buf.length) {
    if (at + 5 > buf.length) throw new Error("truncated frame header");
    const length = buf.readUInt32BE(at + 1);
    if (at + 5 + length > buf.length) throw new Error("truncated frame");
    out.push({ flags: buf[at] as number, data: buf.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}
