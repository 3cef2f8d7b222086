/**
 * The Connect protocol's side of the document: the error body, the status
 * each error code is sent with, the protocol headers, the GET query
 * parameters and the streaming envelope, all as OpenAPI components.
 * Protocol: https://connectrpc.com/docs/protocol/
 */
import { Code } from "@connectrpc/connect";
import { codeToHttpStatus, codeToString } from "@connectrpc/connect/protocol-connect";
import type { Parameter, Reference, Response, Schema } from "./openapi-types.js";

/** Component names (schemas, parameters, responses) under the `connect.` prefix. */
export const schemaConnectError = "connect.Error";
export const schemaConnectErrorDetail = "connect.ErrorDetail";
export const schemaConnectEndStream = "connect.EndStream";
export const parameterProtocolVersion = "connect.ProtocolVersion";
export const parameterGetConnect = "connect.GetConnect";
export const parameterGetEncoding = "connect.GetEncoding";

export const contentTypeUnaryJson = "application/json";
export const contentTypeStreamJson = "application/connect+json";

/** Every Connect error code, in code order (OK is not an error). */
export const connectCodes: readonly Code[] = Object.values(Code).filter((v): v is Code => typeof v === "number");

/**
 * The HTTP status of each Connect error code, grouped by status and sorted,
 * taken from connect-es itself (`codeToHttpStatus`, the function the server
 * calls) so the document cannot drift from what the gateway sends.
 */
export function errorStatuses(): { status: number; codes: string[] }[] {
  const byStatus = new Map<number, string[]>();
  for (const code of connectCodes) {
    const status = codeToHttpStatus(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), codeToString(code)]);
  }
  return [...byStatus.entries()].sort(([a], [b]) => a - b).map(([status, codes]) => ({ status, codes }));
}

/** Component name of the error response sent with `status`. */
export function errorResponseName(status: number): string {
  return `connect.Error.${status}`;
}

/** `$ref`s to the error responses, keyed by status, for an operation's `responses`. */
export function errorResponseRefs(): Record<string, Reference> {
  return Object.fromEntries(
    errorStatuses().map(({ status }) => [String(status), { $ref: `#/components/responses/${errorResponseName(status)}` }]),
  );
}

const statusText: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  429: "Too Many Requests",
  499: "Client Closed Request",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The error responses, one per status, each narrowing `code` to the codes sent with it. */
export function errorResponses(): Record<string, Response> {
  return Object.fromEntries(
    errorStatuses().map(({ status, codes }) => [
      errorResponseName(status),
      {
        description: `${statusText[status] ?? `HTTP ${status}`}: a Connect error with code ${codes.map((c) => `\`${c}\``).join(", ")}.`,
        content: {
          [contentTypeUnaryJson]: {
            schema: {
              allOf: [{ $ref: `#/components/schemas/${schemaConnectError}` }, { type: "object", properties: { code: { type: "string", enum: codes } } }],
            },
          },
        },
      },
    ]),
  );
}

/** The Connect error body and the streaming end-of-stream message. */
export function connectSchemas(): Record<string, Schema> {
  return {
    [schemaConnectEndStream]: {
      description:
        "The JSON payload of the last frame of a Connect streaming response (envelope flag 0x02). " +
        "`error` is absent when the stream ended successfully.",
      type: "object",
      properties: {
        error: { $ref: `#/components/schemas/${schemaConnectError}` },
        metadata: {
          description: "Trailers: header name to its values.",
          type: "object",
          additionalProperties: { type: "array", items: { type: "string" } },
        },
      },
    },
    [schemaConnectError]: {
      description:
        "The body of every failed unary call (and the `error` of a stream's end frame). " +
        "`message` is omitted when empty and `details` when there are none.",
      type: "object",
      required: ["code"],
      properties: {
        code: { description: "The Connect error code.", type: "string", enum: connectCodes.map(codeToString) },
        message: { description: "A developer-facing message, e.g. `container \"3f2a9c\" not found`.", type: "string" },
        details: { type: "array", items: { $ref: `#/components/schemas/${schemaConnectErrorDetail}` } },
      },
    },
    [schemaConnectErrorDetail]: {
      description: "A protobuf message attached to an error.",
      type: "object",
      required: ["type", "value"],
      properties: {
        type: { description: "Fully-qualified message name, e.g. `google.rpc.RetryInfo`.", type: "string" },
        value: { description: "The message in protobuf binary, base64 without padding.", type: "string", contentEncoding: "base64" },
        debug: { description: "The same message as JSON, for people; clients must not rely on it." },
      },
    },
  };
}

/** Protocol headers and GET query parameters shared by every RPC. */
export function connectParameters(): Record<string, Parameter> {
  return {
    [parameterProtocolVersion]: {
      name: "Connect-Protocol-Version",
      in: "header",
      description: "The Connect protocol version. Clients should send it; the gateway does not require it yet.",
      required: false,
      schema: { type: "string", enum: ["1"] },
    },
    [parameterGetConnect]: {
      name: "connect",
      in: "query",
      description: "The Connect protocol version, the GET form of the `Connect-Protocol-Version` header.",
      required: false,
      schema: { type: "string", enum: ["v1"] },
    },
    [parameterGetEncoding]: {
      name: "encoding",
      in: "query",
      description: "How `message` is coded. `proto` (binary, with `base64=1`) also works; this document shows JSON.",
      required: true,
      schema: { type: "string", enum: ["json"] },
    },
  };
}

// NOTE: only parameters a client may always send with the value a tool
// derives from the schema are listed per operation. Importers such as
// Postman's (openapi-to-postmanv2, default options) send every optional
// parameter, filled from `default`/`enum` or with a placeholder like
// `<integer>`; a listed `Connect-Timeout-Ms` or `base64` then breaks every
// call. Both are described in the text instead ({@link timeoutDescription}).

/** `$ref`s to the headers a POST sends. */
export function postParameterRefs(): Reference[] {
  return [parameterProtocolVersion].map((name) => ({ $ref: `#/components/parameters/${name}` }));
}

/** `$ref`s to the query parameters a GET sends, before `message`. */
export function getParameterRefs(): Reference[] {
  return [parameterGetConnect, parameterGetEncoding].map((name) => ({ $ref: `#/components/parameters/${name}` }));
}

/** The deadline header, which no operation lists (see the note above). */
export const timeoutDescription =
  "**Deadlines:** send `Connect-Timeout-Ms: <milliseconds>` (at most 10 digits) to bound a call; when it passes " +
  "the call fails with `deadline_exceeded` and the runtime core sees the call aborted. Without it a call has no deadline.";

/** What a reader needs to know about Connect streaming, which OpenAPI cannot express. */
export const streamingDescription = [
  "**Server stream.** This RPC streams, so over plain HTTP it uses Connect streaming:",
  "`POST` with `Content-Type: application/connect+json`, and both bodies are sequences of *enveloped frames*.",
  "Each frame is a 5-byte prefix (1 byte of flags, then the payload length as a 4-byte big-endian unsigned integer) followed by that many bytes of JSON.",
  "The request is exactly one frame (flags `0x00`) holding the request message.",
  "The response is zero or more frames holding response messages, then one end-of-stream frame (flags `0x02`) holding a `connect.EndStream` JSON object;",
  "an error arrives there, after HTTP status 200, not as an HTTP error status.",
  "The schemas below describe the frame payloads, not the raw bodies.",
  "gRPC and gRPC-Web clients, and Connect clients such as connect-es or `buf curl`, handle the framing for you.",
].join(" ");
