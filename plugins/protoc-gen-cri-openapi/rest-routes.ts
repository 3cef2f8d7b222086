/**
 * Extra path items merged into the generated document: the REST-style read
 * API and the SSE events route served by `src/http` (`src/http/rest/routes.ts`
 * and `src/http/sse-events.ts`), which no proto method describes. One entry
 * per route here keeps the document (and `openapi/`) generated, never
 * hand-edited.
 */
import type { HttpMethod, Operation, Parameter, Reference, Response, Schema } from "./openapi-types.js";

/**
 * One REST route. `operation` is a plain OpenAPI operation; it may `$ref`
 * message schemas by proto name (`#/components/schemas/runtime.v1.Container`),
 * which pulls them into the document, and the shared error responses
 * (`#/components/responses/connect.Error.404`) and parameters
 * (`#/components/parameters/connect.TimeoutMs`).
 *
 * @example
 * ```ts
 * { method: "get", path: "/v1/version", operation: {
 *     operationId: "Rest_GetVersion", tags: ["REST"],
 *     responses: { "200": { description: "The runtime's version.",
 *       content: { "application/json": { schema: { $ref: "#/components/schemas/runtime.v1.VersionResponse" } } } } } } }
 * ```
 */
export interface RestRoute {
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/v1/containers/{id}`. Must not collide with an RPC path and method. */
  path: string;
  operation: Operation;
}

const tags = ["REST"];

/** The shared Connect error responses for `statuses`. */
function errors(...statuses: number[]): Record<string, Reference> {
  return Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/connect.Error.${s}` }]));
}

function message(name: string): Schema {
  return { $ref: `#/components/schemas/runtime.v1.${name}` };
}

function ok(name: string, what: string): Record<string, Response> {
  return {
    "200": {
      description: `${what}: the ${name} message in proto JSON, byte for byte what the Connect API returns.`,
      content: { "application/json": { schema: message(name) } },
    },
  };
}

const verbose: Parameter = {
  name: "verbose",
  in: "query",
  description: "Ask for the runtime's extra `info` map. `true`, `1` or a bare `?verbose` are true; `false`, `0` false.",
  required: false,
  schema: { type: "boolean", default: false },
};

function logFlag(name: string, description: string): Parameter {
  return { name, in: "query", description, required: false, schema: { type: "boolean", default: false } };
}

function logInteger(name: string, description: string): Parameter {
  return { name, in: "query", description, required: false, schema: { type: "integer", minimum: 0 } };
}

function idParam(what: string): Parameter {
  return {
    name: "id",
    in: "path",
    required: true,
    description: `The ${what} id, or a unique prefix of it (an ambiguous prefix is \`invalid_argument\`).`,
    schema: { type: "string", minLength: 1 },
  };
}

const labelParam: Parameter = {
  name: "label",
  in: "query",
  description:
    "A label selector term `key=value`; repeat it (`label=app=web&label=tier=front`) and every term must match. " +
    "Only the first `=` splits, so values may contain `=`. A key given twice is `invalid_argument`.",
  required: false,
  style: "form",
  explode: true,
  schema: { type: "array", items: { type: "string", pattern: "^[^=]+=.*$" } },
};

function filterId(what: string): Parameter {
  return {
    name: "id",
    in: "query",
    description: `Only the ${what} with this id (or unique id prefix).`,
    required: false,
    schema: { type: "string", minLength: 1 },
  };
}

/** The state names the routes accept, case-insensitively (`src/http/rest/filters.ts`). */
const podStates = ["ready", "notready", "SANDBOX_READY", "SANDBOX_NOTREADY"];
const containerStates = [
  "created",
  "running",
  "exited",
  "unknown",
  "CONTAINER_CREATED",
  "CONTAINER_RUNNING",
  "CONTAINER_EXITED",
  "CONTAINER_UNKNOWN",
];

function stateParam(what: string, states: string[]): Parameter {
  return {
    name: "state",
    in: "query",
    description: `Only ${what} in this state: a short name or the enum value name (matched case-insensitively).`,
    required: false,
    schema: { type: "string", enum: states },
  };
}

const noQuery = "Takes no query parameters; any is `invalid_argument`.";

const execSyncBody: Schema = {
  type: "object",
  description: "The command to run. Unknown fields are `invalid_argument`.",
  properties: {
    cmd: {
      type: "array",
      items: { type: "string" },
      description: "The command and its arguments. Must not be empty.",
    },
    timeout: {
      description:
        "Timeout in seconds; 0 (the default) means none. A whole number, or a decimal string as proto JSON spells int64.",
      oneOf: [
        { type: "integer", minimum: 0 },
        { type: "string", pattern: "^[0-9]{1,18}$" },
      ],
    },
  },
  required: ["cmd"],
  additionalProperties: false,
};

const sseDescription = `Server-Sent Events, one per CRI container event, until the client disconnects:

    id: 1
    event: container
    data: {"containerId":"…","containerEventType":"CONTAINER_STARTED_EVENT",…}

- \`event: container\`: \`data\` is one line of JSON, a runtime.v1.ContainerEventResponse in proto JSON (exactly what Connect JSON sends); \`id\` counts the messages of this response from 1. Proto JSON omits default values, so a CONTAINER_CREATED_EVENT (the enum's zero value) arrives with no \`containerEventType\` field.
- \`: keep-alive\` comment lines are sent while the stream is idle (every 15 s by default).
- \`event: error\`: the last message when the event stream fails or the gateway shuts down; \`data\` is a connect.Error JSON. Then the response ends.

CRI keeps no event history, so \`Last-Event-ID\` is ignored: a client that reconnects should relist (\`/v1/containers\`).`;

/** The routes to document, in the order they appear under `paths`. */
export const restRoutes: readonly RestRoute[] = [
  {
    method: "get",
    path: "/v1/version",
    operation: {
      operationId: "rest_version",
      summary: "Runtime version (REST)",
      description: `RuntimeService/Version as a GET. ${noQuery}`,
      tags,
      responses: { ...ok("VersionResponse", "The runtime's version"), ...errors(400, 500, 503) },
      "x-example-standalone": true,
    },
  },
  {
    method: "get",
    path: "/v1/status",
    operation: {
      operationId: "rest_status",
      summary: "Runtime status (REST)",
      description: "RuntimeService/Status as a GET.",
      tags,
      parameters: [verbose],
      responses: { ...ok("StatusResponse", "The runtime's conditions"), ...errors(400, 500, 503) },
      "x-example-standalone": true,
    },
  },
  {
    method: "get",
    path: "/v1/runtime-config",
    operation: {
      operationId: "rest_runtimeConfig",
      summary: "Runtime configuration (REST)",
      description: `RuntimeService/RuntimeConfig as a GET. ${noQuery}`,
      tags,
      responses: { ...ok("RuntimeConfigResponse", "The runtime's configuration"), ...errors(400, 500, 503) },
      "x-example-standalone": true,
    },
  },
  {
    method: "get",
    path: "/v1/pods",
    operation: {
      operationId: "rest_listPods",
      summary: "List pod sandboxes (REST)",
      description: "RuntimeService/ListPodSandbox as a GET, the filter taken from the query. Unknown parameters are `invalid_argument`.",
      tags,
      parameters: [stateParam("pods", podStates), labelParam, filterId("pod")],
      responses: { ...ok("ListPodSandboxResponse", "The matching pods"), ...errors(400, 500, 503) },
      "x-example-standalone": true,
    },
  },
  {
    method: "get",
    path: "/v1/pods/{id}",
    operation: {
      operationId: "rest_podStatus",
      summary: "Pod sandbox status (REST)",
      description: "RuntimeService/PodSandboxStatus as a GET.",
      tags,
      parameters: [idParam("pod sandbox"), verbose],
      responses: { ...ok("PodSandboxStatusResponse", "The pod's status"), ...errors(400, 404, 500, 503) },
      "x-example-standalone": false,
    },
  },
  {
    method: "get",
    path: "/v1/pods/{id}/stats",
    operation: {
      operationId: "rest_podStats",
      summary: "Pod sandbox stats (REST)",
      description: `RuntimeService/PodSandboxStats as a GET. ${noQuery}`,
      tags,
      parameters: [idParam("pod sandbox")],
      responses: { ...ok("PodSandboxStatsResponse", "The pod's stats"), ...errors(400, 404, 500, 503) },
      "x-example-standalone": false,
    },
  },
  {
    method: "get",
    path: "/v1/containers",
    operation: {
      operationId: "rest_listContainers",
      summary: "List containers (REST)",
      description: "RuntimeService/ListContainers as a GET, the filter taken from the query. Unknown parameters are `invalid_argument`.",
      tags,
      parameters: [
        stateParam("containers", containerStates),
        {
          name: "pod",
          in: "query",
          description: "Only containers of this pod sandbox (id or unique id prefix).",
          required: false,
          schema: { type: "string", minLength: 1 },
        },
        labelParam,
        filterId("container"),
      ],
      responses: { ...ok("ListContainersResponse", "The matching containers"), ...errors(400, 500, 503) },
      "x-example-standalone": true,
    },
  },
  {
    method: "get",
    path: "/v1/containers/{id}",
    operation: {
      operationId: "rest_containerStatus",
      summary: "Container status (REST)",
      description: "RuntimeService/ContainerStatus as a GET.",
      tags,
      parameters: [idParam("container"), verbose],
      responses: { ...ok("ContainerStatusResponse", "The container's status"), ...errors(400, 404, 500, 503) },
      "x-example-standalone": false,
    },
  },
  {
    method: "get",
    path: "/v1/containers/{id}/stats",
    operation: {
      operationId: "rest_containerStats",
      summary: "Container stats (REST)",
      description: `RuntimeService/ContainerStats as a GET. ${noQuery}`,
      tags,
      parameters: [idParam("container")],
      responses: { ...ok("ContainerStatsResponse", "The container's stats"), ...errors(400, 404, 500, 503) },
      "x-example-standalone": false,
    },
  },
  {
    method: "post",
    path: "/v1/containers/{id}/exec-sync",
    operation: {
      operationId: "rest_execSync",
      summary: "Run a command in a container and wait for it (REST)",
      description:
        "RuntimeService/ExecSync with the container id from the path. The body must be sent with " +
        "`Content-Type: application/json` (anything else is `invalid_argument`) and is limited to 1 MiB by " +
        "default (`resource_exhausted` beyond). stdout and stderr come back base64-encoded, as in proto JSON. " +
        "A command that outlives `timeout` is `deadline_exceeded`; a container that is not running is `failed_precondition`.",
      tags,
      parameters: [idParam("container")],
      requestBody: {
        description: "The command, as JSON. `Content-Type: application/json` is required.",
        required: true,
        content: { "application/json": { schema: execSyncBody, example: { cmd: ["echo", "hi"], timeout: 5 } } },
      },
      responses: { ...ok("ExecSyncResponse", "The command's output and exit code"), ...errors(400, 404, 429, 500, 503, 504) },
      "x-example-standalone": false,
    },
  },
  {
    method: "get",
    path: "/v1/containers/{id}/logs",
    operation: {
      operationId: "rest_containerLogs",
      summary: "Container logs (REST)",
      description:
        "crigateway.v1.LogService/ReadLogs as a GET, with the query parameters of the kubelet's log endpoint. " +
        "The gateway reads the file the runtime writes (ContainerStatus `logPath`); a path outside the pod's log " +
        "directory or a symbolic link is `failed_precondition`, a missing file `not_found`. The rendering follows " +
        "`Accept` or `format`: plain text as `kubectl logs` prints it (default), JSON lines of LogEntry, or " +
        "Server-Sent Events (`event: log`). With `follow=true` the response goes on until the container exits.",
      tags,
      parameters: [
        idParam("container"),
        logFlag("follow", "Keep streaming new lines until the container exits."),
        logInteger("tailLines", "Start this many lines before the end of the file. Only with `stream=all`."),
        {
          name: "sinceTime",
          in: "query",
          description: "Only lines written at or after this RFC 3339 time.",
          required: false,
          schema: { type: "string", format: "date-time" },
        },
        logInteger("sinceSeconds", "Only lines written in the last this many seconds (> 0)."),
        logFlag("timestamps", "Prefix each line with its time (RFC 3339, nine fractional digits)."),
        logInteger("limitBytes", "Stop after this many bytes of (text) output (> 0)."),
        {
          name: "stream",
          in: "query",
          description: "Which streams to read.",
          required: false,
          schema: { type: "string", enum: ["all", "stdout", "stderr"], default: "all" },
        },
        {
          name: "format",
          in: "query",
          description: "The rendering, overriding `Accept`.",
          required: false,
          schema: { type: "string", enum: ["text", "json", "sse"] },
        },
      ],
      responses: {
        "200": {
          description: "The log lines, streamed.",
          content: {
            "text/plain": { schema: { type: "string" }, example: "hello\nworld\n" },
            "application/x-ndjson": {
              // Spelled out, not a $ref: the document may be made from the CRI proto alone.
              schema: {
                type: "object",
                description: "One crigateway.v1.LogEntry in proto JSON per line.",
                properties: {
                  time: { type: "string", description: "RFC 3339 with nine fractional digits." },
                  stream: { type: "string", enum: ["LOG_STREAM_STDOUT", "LOG_STREAM_STDERR"] },
                  text: { type: "string", description: "The content, when it is valid UTF-8." },
                  raw: { type: "string", contentEncoding: "base64", description: "The content otherwise." },
                  partial: { type: "boolean", description: "The line does not end here." },
                },
              },
              example: { time: "2016-10-06T00:17:09.669794202Z", stream: "LOG_STREAM_STDOUT", text: "hello" },
            },
            "text/event-stream": {
              schema: { type: "string", description: "`event: log` messages whose `data` is crigateway.v1.LogEntry JSON; a final `event: error` carries connect.Error JSON." },
            },
          },
        },
        ...errors(400, 404, 500, 503),
      },
      "x-example-standalone": false,
      "x-streaming": "sse",
    },
  },
  {
    method: "get",
    path: "/v1/images",
    operation: {
      operationId: "rest_listImages",
      summary: "List images (REST)",
      description: "ImageService/ListImages as a GET. Unknown parameters are `invalid_argument`.",
      tags,
      parameters: [
        {
          name: "image",
          in: "query",
          description: "Only images matching this reference (tag, digest or id).",
          required: false,
          schema: { type: "string", minLength: 1 },
        },
      ],
      responses: { ...ok("ListImagesResponse", "The matching images"), ...errors(400, 500, 503) },
      "x-example-standalone": true,
    },
  },
  {
    method: "get",
    path: "/v1/images/{ref}",
    operation: {
      operationId: "rest_imageStatus",
      summary: "Image status (REST)",
      description:
        "ImageService/ImageStatus as a GET. Unlike the RPC, an unknown image is `not_found` (404) rather than an empty message.",
      tags,
      parameters: [
        {
          name: "ref",
          in: "path",
          required: true,
          description:
            "The image reference, tag, digest or id. It takes the rest of the path, slashes and colons included, " +
            "so write it as is (`/v1/images/docker.io/library/busybox:1.36`, `/v1/images/sha256:…`); " +
            "percent-encoded slashes (`%2F`) work too.",
          allowReserved: true,
          schema: { type: "string", minLength: 1 },
          example: "docker.io/library/busybox:1.36",
        },
        verbose,
      ],
      responses: { ...ok("ImageStatusResponse", "The image's status"), ...errors(400, 404, 500, 503) },
      "x-example-standalone": false,
    },
  },
  {
    method: "get",
    path: "/v1/imagefs",
    operation: {
      operationId: "rest_imageFsInfo",
      summary: "Image filesystem usage (REST)",
      description: `ImageService/ImageFsInfo as a GET. ${noQuery}`,
      tags,
      responses: { ...ok("ImageFsInfoResponse", "The image filesystems' usage"), ...errors(400, 500, 503) },
      "x-example-standalone": true,
    },
  },
  {
    method: "get",
    path: "/v1/events",
    operation: {
      operationId: "rest_events",
      summary: "Container events as Server-Sent Events (REST)",
      description:
        "RuntimeService/GetContainerEvents as an SSE stream for EventSource, curl and plain HTTP clients. " +
        `${noQuery} The stream never ends on its own, so it is no standalone example (Postman/newman would wait forever).`,
      tags,
      responses: {
        "200": {
          description: sseDescription,
          headers: { "Cache-Control": { description: "Always `no-cache`.", schema: { type: "string", const: "no-cache" } } },
          content: {
            "text/event-stream": {
              schema: {
                type: "string",
                description:
                  "An SSE stream: `event: container` messages whose `data` is runtime.v1.ContainerEventResponse JSON, " +
                  "`: keep-alive` comments, and a final `event: error` whose `data` is connect.Error JSON.",
              },
              example:
                'id: 1\nevent: container\ndata: {"containerId":"4f1c…","containerEventType":"CONTAINER_STARTED_EVENT","createdAt":"1700000000000000000"}\n\n: keep-alive\n\n',
            },
          },
        },
        ...errors(400, 500, 503),
      },
      "x-example-standalone": false,
      "x-streaming": "sse",
    },
  },
];
