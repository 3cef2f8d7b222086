/**
 * The REST routes (`/v1/...`): the one description both the server
 * (`routes.ts` serves exactly these) and the OpenAPI plugin
 * (`plugins/protoc-gen-cri-openapi/rest-routes.ts` documents exactly these)
 * read, so a route cannot be served undocumented or documented unserved.
 * Plain data: it imports only types. To add a route, add an entry here (see
 * {@link RestRouteSpec}); a `handler` route also needs its handler passed to
 * `createRestRouter`. Then `npm run generate`.
 */
import type { RestParam, RestRouteSpec } from "./route-spec.js";

const verbose: RestParam = {
  name: "verbose",
  in: "query",
  type: "boolean",
  field: "verbose",
  default: false,
  description: "Ask for the runtime's extra `info` map. `true`, `1` or a bare `?verbose` are true; `false`, `0` false.",
};

function idParam(what: string, field: string): RestParam {
  return {
    name: "id",
    in: "path",
    type: "string",
    field,
    description: `The ${what} id, or a unique prefix of it (an ambiguous prefix is \`invalid_argument\`).`,
  };
}

const labelParam: RestParam = {
  name: "label",
  in: "query",
  type: "labels",
  field: "filter.labelSelector",
  description:
    "A label selector term `key=value`; repeat it (`label=app=web&label=tier=front`) and every term must match. " +
    "Only the first `=` splits, so values may contain `=`. A key given twice is `invalid_argument`.",
};

function filterId(what: string): RestParam {
  return {
    name: "id",
    in: "query",
    type: "string",
    field: "filter.id",
    description: `Only the ${what} with this id (or unique id prefix).`,
  };
}

function stateParam(what: string, values: Record<string, string>): RestParam {
  return {
    name: "state",
    in: "query",
    type: "enum",
    field: "filter.state.state",
    values,
    description: `Only ${what} in this state: a short name or the enum value name (matched case-insensitively).`,
  };
}

const podStates = { ready: "SANDBOX_READY", notready: "SANDBOX_NOTREADY" };
const containerStates = {
  created: "CONTAINER_CREATED",
  running: "CONTAINER_RUNNING",
  exited: "CONTAINER_EXITED",
  unknown: "CONTAINER_UNKNOWN",
};

const noQuery = "Takes no query parameters; any is `invalid_argument`.";

const sseDescription = `Server-Sent Events, one per CRI container event, until the client disconnects:

    id: 1
    event: container
    data: {"containerId":"…","containerEventType":"CONTAINER_STARTED_EVENT",…}

- \`event: container\`: \`data\` is one line of JSON, a runtime.v1.ContainerEventResponse in proto JSON (exactly what Connect JSON sends); \`id\` counts the messages of this response from 1. Proto JSON omits default values, so a CONTAINER_CREATED_EVENT (the enum's zero value) arrives with no \`containerEventType\` field.
- \`: keep-alive\` comment lines are sent while the stream is idle (every 15 s by default).
- \`event: error\`: the last message when the event stream fails or the gateway shuts down; \`data\` is a connect.Error JSON. Then the response ends.

CRI keeps no event history, so \`Last-Event-ID\` is ignored: a client that reconnects should relist (\`/v1/containers\`).`;

/** Every REST route, in the order the document lists them. */
export const restRouteTable: readonly RestRouteSpec[] = [
  {
    operationId: "rest_version",
    method: "get",
    path: "/v1/version",
    summary: "Runtime version (REST)",
    description: `RuntimeService/Version as a GET. ${noQuery}`,
    target: { kind: "cri", service: "RuntimeService", method: "Version" },
    params: [],
    responses: { description: "The runtime's version", errors: [400, 500, 503] },
    readOnly: true,
    standalone: true,
  },
  {
    operationId: "rest_status",
    method: "get",
    path: "/v1/status",
    summary: "Runtime status (REST)",
    description: "RuntimeService/Status as a GET.",
    target: { kind: "cri", service: "RuntimeService", method: "Status" },
    params: [verbose],
    responses: { description: "The runtime's conditions", errors: [400, 500, 503] },
    readOnly: true,
    standalone: true,
  },
  {
    operationId: "rest_runtimeConfig",
    method: "get",
    path: "/v1/runtime-config",
    summary: "Runtime configuration (REST)",
    description: `RuntimeService/RuntimeConfig as a GET. ${noQuery}`,
    target: { kind: "cri", service: "RuntimeService", method: "RuntimeConfig" },
    params: [],
    responses: { description: "The runtime's configuration", errors: [400, 500, 503] },
    readOnly: true,
    standalone: true,
  },
  {
    operationId: "rest_listPods",
    method: "get",
    path: "/v1/pods",
    summary: "List pod sandboxes (REST)",
    description: "RuntimeService/ListPodSandbox as a GET, the filter taken from the query. Unknown parameters are `invalid_argument`.",
    target: { kind: "cri", service: "RuntimeService", method: "ListPodSandbox" },
    params: [stateParam("pods", podStates), labelParam, filterId("pod")],
    responses: { description: "The matching pods", errors: [400, 500, 503] },
    readOnly: true,
    standalone: true,
  },
  {
    operationId: "rest_podStatus",
    method: "get",
    path: "/v1/pods/{id}",
    summary: "Pod sandbox status (REST)",
    description: "RuntimeService/PodSandboxStatus as a GET.",
    target: { kind: "cri", service: "RuntimeService", method: "PodSandboxStatus" },
    params: [idParam("pod sandbox", "podSandboxId"), verbose],
    responses: { description: "The pod's status", errors: [400, 404, 500, 503] },
    readOnly: true,
    standalone: false,
  },
  {
    operationId: "rest_podStats",
    method: "get",
    path: "/v1/pods/{id}/stats",
    summary: "Pod sandbox stats (REST)",
    description: `RuntimeService/PodSandboxStats as a GET. ${noQuery}`,
    target: { kind: "cri", service: "RuntimeService", method: "PodSandboxStats" },
    params: [idParam("pod sandbox", "podSandboxId")],
    responses: { description: "The pod's stats", errors: [400, 404, 500, 503] },
    readOnly: true,
    standalone: false,
  },
  {
    operationId: "rest_listContainers",
    method: "get",
    path: "/v1/containers",
    summary: "List containers (REST)",
    description: "RuntimeService/ListContainers as a GET, the filter taken from the query. Unknown parameters are `invalid_argument`.",
    target: { kind: "cri", service: "RuntimeService", method: "ListContainers" },
    params: [
      stateParam("containers", containerStates),
      {
        name: "pod",
        in: "query",
        type: "string",
        field: "filter.podSandboxId",
        description: "Only containers of this pod sandbox (id or unique id prefix).",
      },
      labelParam,
      filterId("container"),
    ],
    responses: { description: "The matching containers", errors: [400, 500, 503] },
    readOnly: true,
    standalone: true,
  },
  {
    operationId: "rest_containerStatus",
    method: "get",
    path: "/v1/containers/{id}",
    summary: "Container status (REST)",
    description: "RuntimeService/ContainerStatus as a GET.",
    target: { kind: "cri", service: "RuntimeService", method: "ContainerStatus" },
    params: [idParam("container", "containerId"), verbose],
    responses: { description: "The container's status", errors: [400, 404, 500, 503] },
    readOnly: true,
    standalone: false,
  },
  {
    operationId: "rest_containerStats",
    method: "get",
    path: "/v1/containers/{id}/stats",
    summary: "Container stats (REST)",
    description: `RuntimeService/ContainerStats as a GET. ${noQuery}`,
    target: { kind: "cri", service: "RuntimeService", method: "ContainerStats" },
    params: [idParam("container", "containerId")],
    responses: { description: "The container's stats", errors: [400, 404, 500, 503] },
    readOnly: true,
    standalone: false,
  },
  {
    operationId: "rest_execSync",
    method: "post",
    path: "/v1/containers/{id}/exec-sync",
    summary: "Run a command in a container and wait for it (REST)",
    description:
      "RuntimeService/ExecSync with the container id from the path. The body must be sent with " +
      "`Content-Type: application/json` (anything else is `invalid_argument`) and is limited to 1 MiB by " +
      "default (`resource_exhausted` beyond). stdout and stderr come back base64-encoded, as in proto JSON. " +
      "A command that outlives `timeout` is `deadline_exceeded`; a container that is not running is `failed_precondition`.",
    target: { kind: "cri", service: "RuntimeService", method: "ExecSync" },
    params: [idParam("container", "containerId")],
    body: {
      description: "The command, as JSON. `Content-Type: application/json` is required.",
      fields: [
        { name: "cmd", type: "string[]", required: true, description: "The command and its arguments. Must not be empty." },
        {
          name: "timeout",
          type: "int64",
          unit: "seconds",
          description:
            "Timeout in seconds; 0 (the default) means none. A whole number, or a decimal string as proto JSON spells int64.",
        },
      ],
      example: { cmd: ["echo", "hi"], timeout: 5 },
    },
    responses: { description: "The command's output and exit code", errors: [400, 404, 429, 500, 503, 504] },
    readOnly: false,
    standalone: false,
  },
  {
    operationId: "rest_listImages",
    method: "get",
    path: "/v1/images",
    summary: "List images (REST)",
    description: "ImageService/ListImages as a GET. Unknown parameters are `invalid_argument`.",
    target: { kind: "cri", service: "ImageService", method: "ListImages" },
    params: [
      {
        name: "image",
        in: "query",
        type: "string",
        field: "filter.image.image",
        description: "Only images matching this reference (tag, digest or id).",
      },
    ],
    responses: { description: "The matching images", errors: [400, 500, 503] },
    readOnly: true,
    standalone: true,
  },
  {
    operationId: "rest_imageStatus",
    method: "get",
    path: "/v1/images/{ref}",
    summary: "Image status (REST)",
    description:
      "ImageService/ImageStatus as a GET. Unlike the RPC, an unknown image is `not_found` (404) rather than an empty message.",
    target: { kind: "cri", service: "ImageService", method: "ImageStatus" },
    params: [
      {
        name: "ref",
        in: "path",
        type: "string",
        field: "image.image",
        restOfPath: true,
        description:
          "The image reference, tag, digest or id. It takes the rest of the path, slashes and colons included, " +
          "so write it as is (`/v1/images/docker.io/library/busybox:1.36`, `/v1/images/sha256:…`); " +
          "percent-encoded slashes (`%2F`) work too.",
        example: "docker.io/library/busybox:1.36",
      },
      verbose,
    ],
    responses: { description: "The image's status", errors: [400, 404, 500, 503] },
    readOnly: true,
    standalone: false,
    // NOTE: CRI's ImageStatus answers an unknown image with an empty message
    // (the kubelet then pulls). A REST resource that does not exist is a 404.
    notFoundWhenAbsent: { field: "image", noun: "image" },
  },
  {
    operationId: "rest_imageFsInfo",
    method: "get",
    path: "/v1/imagefs",
    summary: "Image filesystem usage (REST)",
    description: `ImageService/ImageFsInfo as a GET. ${noQuery}`,
    target: { kind: "cri", service: "ImageService", method: "ImageFsInfo" },
    params: [],
    responses: { description: "The image filesystems' usage", errors: [400, 500, 503] },
    readOnly: true,
    standalone: true,
  },
  {
    operationId: "rest_containerLogs",
    method: "get",
    path: "/v1/containers/{id}/logs",
    summary: "Container logs (REST)",
    description:
      "crigateway.v1.LogService/ReadLogs as a GET, with the query parameters of the kubelet's log endpoint. " +
      "The gateway reads the file the runtime writes (ContainerStatus `logPath`); a path outside the pod's log " +
      "directory or a symbolic link is `failed_precondition`, a missing file `not_found`. The rendering follows " +
      "`Accept` or `format`: plain text as `kubectl logs` prints it (default), JSON lines of LogEntry, or " +
      "Server-Sent Events (`event: log`). With `follow=true` the response goes on until the container exits.",
    target: { kind: "handler", name: "containerLogs" },
    params: [
      { name: "id", in: "path", type: "string", description: "The container id, or a unique prefix of it (an ambiguous prefix is `invalid_argument`)." },
      { name: "follow", in: "query", type: "boolean", default: false, description: "Keep streaming new lines until the container exits." },
      { name: "tailLines", in: "query", type: "integer", minimum: 0, description: "Start this many lines before the end of the file." },
      { name: "sinceTime", in: "query", type: "date-time", description: "Only lines written at or after this RFC 3339 time." },
      { name: "sinceSeconds", in: "query", type: "integer", minimum: 1, description: "Only lines written in the last this many seconds." },
      { name: "timestamps", in: "query", type: "boolean", default: false, description: "Prefix each line with its time (RFC 3339, nine fractional digits)." },
      { name: "limitBytes", in: "query", type: "integer", minimum: 1, description: "Stop after this many bytes of output." },
      { name: "stream", in: "query", type: "enum", values: { all: "all", stdout: "stdout", stderr: "stderr" }, default: "all", description: "Which streams to read." },
      { name: "format", in: "query", type: "enum", values: { text: "text", json: "json", sse: "sse" }, description: "The rendering, overriding `Accept`." },
    ],
    responses: {
      description: "The log lines, streamed.",
      content: [
        { type: "text/plain", schema: { type: "string" }, example: "hello\nworld\n" },
        {
          type: "application/x-ndjson",
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
        {
          type: "text/event-stream",
          schema: {
            type: "string",
            description: "`event: log` messages whose `data` is crigateway.v1.LogEntry JSON; a final `event: error` carries connect.Error JSON.",
          },
        },
      ],
      errors: [400, 404, 500, 503],
    },
    readOnly: true,
    standalone: false,
    streaming: "sse",
  },
  {
    operationId: "rest_events",
    method: "get",
    path: "/v1/events",
    summary: "Container events as Server-Sent Events (REST)",
    description:
      "RuntimeService/GetContainerEvents as an SSE stream for EventSource, curl and plain HTTP clients. " +
      `${noQuery} The stream never ends on its own, so it is no standalone example (Postman/newman would wait forever).`,
    target: { kind: "handler", name: "containerEvents" },
    params: [],
    responses: {
      description: sseDescription,
      headers: { "Cache-Control": { description: "Always `no-cache`.", schema: { type: "string", const: "no-cache" } } },
      content: [
        {
          type: "text/event-stream",
          schema: {
            type: "string",
            description:
              "An SSE stream: `event: container` messages whose `data` is runtime.v1.ContainerEventResponse JSON, " +
              "`: keep-alive` comments, and a final `event: error` whose `data` is connect.Error JSON.",
          },
          example:
            'id: 1\nevent: container\ndata: {"containerId":"4f1c…","containerEventType":"CONTAINER_STARTED_EVENT","createdAt":"1700000000000000000"}\n\n: keep-alive\n\n',
        },
      ],
      errors: [400, 500, 503],
    },
    readOnly: true,
    standalone: false,
    streaming: "sse",
  },
];
