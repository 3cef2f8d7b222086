/**
 * The document's REST routes (`/v1/...`, tag REST) against the real gateway:
 * every route is called with fetch on a gateway holding a pod, a running
 * container and a pulled image, and each body is validated with ajv (JSON
 * Schema 2020-12) against the schema the document gives that path and
 * status. Every documented `/v1/` operation must also be served: none may
 * fall through to the app's "no route" 404.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { type CriClients, createCriClients } from "../helpers/cri-clients.js";
import { type TestGateway, startTestGateway } from "../helpers/start-gateway.js";
import { type OpenApiDoc, createDocumentValidator, listOperations } from "./schema-validator.js";

const root = resolve(import.meta.dirname, "../..");
const busybox = "docker.io/library/busybox:1.36";
const unknownId = "f".repeat(64);

/** One call of a documented REST operation. */
interface RestCase {
  method: "get" | "post";
  /** The document's path template. */
  path: string;
  /** The concrete request target. */
  url: string;
  body?: unknown;
  status: number;
}

describe("REST routes against the document's schemas", () => {
  let gw: TestGateway;
  let clients: CriClients;
  let doc: OpenApiDoc;
  let pod = "";
  let container = "";
  let imageId = "";

  const restOperations = () => listOperations(doc).filter((o) => o.path.startsWith("/v1/"));

  const call = async (c: Pick<RestCase, "method" | "url" | "body">): Promise<{ status: number; type: string; body: unknown }> => {
    const res = await fetch(gw.url + c.url, {
      method: c.method.toUpperCase(),
      ...(c.body !== undefined && { headers: { "content-type": "application/json" }, body: JSON.stringify(c.body) }),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get("content-type") ?? "", body: JSON.parse(text) as unknown };
  };

  before(async () => {
    doc = JSON.parse(await readFile(join(root, "openapi", "cri.openapi.json"), "utf8")) as OpenApiDoc;
    gw = await startTestGateway();
    clients = createCriClients(gw, { protocol: "connect-json", via: "tcp", httpVersion: "1.1" });
    imageId = (await clients.image.pullImage({ image: { image: busybox } })).imageRef;
    pod = (
      await clients.runtime.runPodSandbox({
        config: { metadata: { name: "web", uid: "uid-web", namespace: "rest-schema" }, labels: { app: "web" } },
      })
    ).podSandboxId;
    container = (
      await clients.runtime.createContainer({
        podSandboxId: pod,
        config: { metadata: { name: "main" }, image: { image: busybox }, command: ["sleep", "3600"], labels: { app: "web" } },
      })
    ).containerId;
    await clients.runtime.startContainer({ containerId: container });
  });
  after(async () => {
    clients?.close();
    await gw?.close();
  });

  it("documents the REST routes with the REST tag and rest_ operationIds", () => {
    const ops = restOperations();
    assert.ok(ops.length >= 14, `only ${ops.length} REST operations`);
    for (const { operation } of ops) {
      assert.match(operation.operationId, /^rest_[a-zA-Z]+$/);
      assert.deepEqual((operation as { tags?: string[] }).tags, ["REST"], operation.operationId);
    }
    const events = doc.paths["/v1/events"]?.get as { responses: Record<string, { content?: Record<string, unknown> }> } | undefined;
    assert.ok(events?.responses["200"]?.content?.["text/event-stream"], "/v1/events answers text/event-stream");
    assert.notEqual((doc.paths["/v1/events"]?.get as { "x-example-standalone"?: boolean })["x-example-standalone"], true);
  });

  it("answers every JSON route with a body that matches the document's schema", async () => {
    const validator = createDocumentValidator(doc);
    const cases: RestCase[] = [
      { method: "get", path: "/v1/version", url: "/v1/version", status: 200 },
      { method: "get", path: "/v1/status", url: "/v1/status?verbose=true", status: 200 },
      { method: "get", path: "/v1/runtime-config", url: "/v1/runtime-config", status: 200 },
      { method: "get", path: "/v1/pods", url: "/v1/pods?state=ready&label=app=web", status: 200 },
      { method: "get", path: "/v1/pods/{id}", url: `/v1/pods/${pod}?verbose=true`, status: 200 },
      { method: "get", path: "/v1/pods/{id}/stats", url: `/v1/pods/${pod.slice(0, 12)}/stats`, status: 200 },
      { method: "get", path: "/v1/containers", url: `/v1/containers?state=CONTAINER_RUNNING&pod=${pod}&label=app=web`, status: 200 },
      { method: "get", path: "/v1/containers/{id}", url: `/v1/containers/${container}?verbose=1`, status: 200 },
      { method: "get", path: "/v1/containers/{id}/stats", url: `/v1/containers/${container}/stats`, status: 200 },
      {
        method: "post",
        path: "/v1/containers/{id}/exec-sync",
        url: `/v1/containers/${container}/exec-sync`,
        body: { cmd: ["echo", "hi"], timeout: "5" },
        status: 200,
      },
      { method: "get", path: "/v1/images", url: `/v1/images?image=${encodeURIComponent(busybox)}`, status: 200 },
      { method: "get", path: "/v1/images/{ref}", url: `/v1/images/${busybox}?verbose=true`, status: 200 },
      { method: "get", path: "/v1/images/{ref}", url: `/v1/images/${imageId}`, status: 200 },
      { method: "get", path: "/v1/imagefs", url: "/v1/imagefs", status: 200 },
      // Errors, against the shared connect.Error responses.
      { method: "get", path: "/v1/containers/{id}", url: `/v1/containers/${unknownId}`, status: 404 },
      { method: "get", path: "/v1/containers/{id}/logs", url: `/v1/containers/${unknownId}/logs`, status: 404 },
      { method: "get", path: "/v1/containers/{id}/logs", url: `/v1/containers/${container}/logs?tailLines=x`, status: 400 },
      { method: "get", path: "/v1/images/{ref}", url: "/v1/images/example.com/no/such:image", status: 404 },
      { method: "get", path: "/v1/pods", url: "/v1/pods?state=sleepy", status: 400 },
      { method: "get", path: "/v1/version", url: "/v1/version?bogus=1", status: 400 },
      {
        method: "post",
        path: "/v1/containers/{id}/exec-sync",
        url: `/v1/containers/${container}/exec-sync`,
        body: { cmd: ["true"], extra: 1 },
        status: 400,
      },
    ];
    for (const c of cases) {
      const res = await call(c);
      assert.equal(res.status, c.status, `${c.method.toUpperCase()} ${c.url}: ${JSON.stringify(res.body)}`);
      assert.match(res.type, /^application\/json/);
      validator.assertResponse(c.method, c.path, res.status, res.body);
    }
    const lists = (await call({ method: "get", url: `/v1/containers?pod=${pod}` })).body as { containers?: unknown[] };
    assert.equal(lists.containers?.length, 1, "the filters did narrow the list");

    // Every documented JSON operation was exercised with a 2xx (the event
    // and log streams are not JSON documents; their e2e tests read them).
    const covered = new Set(cases.filter((c) => c.status === 200).map((c) => `${c.method} ${c.path}`));
    const documented = restOperations()
      .filter((o) => o.path !== "/v1/events" && o.path !== "/v1/containers/{id}/logs")
      .map((o) => `${o.method} ${o.path}`);
    assert.deepEqual(documented.filter((k) => !covered.has(k)), [], "documented REST operations without a test call");
  });

  it("rejects a body the schema does not allow, so the validation is not vacuous", () => {
    const validator = createDocumentValidator(doc);
    assert.throws(() => validator.assertResponse("get", "/v1/containers", 200, { containers: [{ state: "SLEEPY" }] }));
    assert.throws(() => validator.assertResponse("get", "/v1/version", 200, { version: 1 }));
  });

  it("streams /v1/events as text/event-stream with container events matching ContainerEventResponse", async () => {
    // A validator over the document's components, for the schema an SSE `data` line carries.
    const eventDoc: OpenApiDoc = {
      paths: {
        "/event": {
          get: {
            operationId: "event",
            responses: { "200": { content: { "application/json": { schema: { $ref: "#/components/schemas/runtime.v1.ContainerEventResponse" } } } } },
          },
        },
      },
      components: doc.components,
    };
    const validator = createDocumentValidator(eventDoc);
    const abort = new AbortController();
    try {
      const res = await fetch(`${gw.url}/v1/events`, { signal: abort.signal });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
      assert.ok(res.body);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      const created = clients.runtime.createContainer({
        podSandboxId: pod,
        config: { metadata: { name: "events" }, image: { image: busybox }, command: ["sleep", "1"] },
      });
      let text = "";
      let message: RegExpExecArray | null = null;
      while (message === null) {
        const { value, done } = await reader.read();
        assert.ok(!done, `stream ended before a container event: ${text}`);
        text += value;
        message = /(?:^|\n)event: container\ndata: (.*)\n/.exec(text);
      }
      const { containerId } = await created;
      const data = JSON.parse(message[1] ?? "") as unknown;
      validator.assertResponse("get", "/event", 200, data);
      // CONTAINER_CREATED_EVENT is the enum's zero value, so proto JSON omits containerEventType.
      assert.equal((data as { containerId?: string }).containerId, containerId);
    } finally {
      abort.abort();
    }
  });

  it("serves every documented /v1/ path: none falls through to the app's not-found answer", async () => {
    const noRoute = /^no route for /;
    const control = await call({ method: "get", url: "/v1/not-a-route" });
    assert.equal(control.status, 404);
    assert.match(String((control.body as { message?: unknown }).message), noRoute, "the check can tell the two 404s apart");

    const ops = restOperations();
    assert.ok(ops.length > 0);
    for (const { method, path } of ops) {
      const url = path.replace("{ref}", "example.com/library/none:1").replace(/\{[^}]+\}/g, unknownId);
      if (path === "/v1/events") {
        const abort = new AbortController();
        const res = await fetch(gw.url + url, { signal: abort.signal });
        abort.abort();
        assert.equal(res.status, 200, `${method.toUpperCase()} ${path}`);
        continue;
      }
      const res = await call({ method: method as RestCase["method"], url, ...(method === "post" && { body: { cmd: ["true"] } }) });
      const message = String((res.body as { message?: unknown }).message ?? "");
      assert.ok(!(res.status === 404 && noRoute.test(message)), `${method.toUpperCase()} ${path} is documented but not served: ${message}`);
      assert.ok(res.status === 200 || res.status === 404, `${method.toUpperCase()} ${url} answered ${res.status}: ${message}`);
    }
  });
});
