/**
 * The REST-style read API (`/v1/...`) on the real gateway, called with the
 * real curl binary over HTTP/1.1 and h2c, on TCP and the unix socket: every
 * route answers with exactly the JSON the Connect API returns; list filters
 * from the query string; id prefixes; exec-sync; image references with
 * slashes, colons, digests and ids; and the Connect error body with its HTTP
 * status for unknown ids and bad input. Calls pass the core interceptors.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  CreateContainerRequestSchema,
  PullImageRequestSchema,
  RunPodSandboxRequestSchema,
  StartContainerRequestSchema,
  StopContainerRequestSchema,
  StopPodSandboxRequestSchema,
} from "../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../src/core/call-context.js";
import { CoreError } from "../../src/core/core-error.js";
import type { CoreInterceptor } from "../../src/core/intercept.js";
import { type CurlResponse, type CurlTarget, curlJson, runCurl } from "../helpers/curl.js";
import { type TestGateway, startTestGateway } from "../helpers/start-gateway.js";
import { waitFor } from "../helpers/wait-for.js";

type Json = Record<string, unknown>;

const busybox = "docker.io/library/busybox:1.36";
const nginx = "docker.io/library/nginx:1.27";
const unknownId = "f".repeat(64);

describe("REST read API", () => {
  let gw: TestGateway;
  /** Unary methods the interceptor saw, in order. */
  const intercepted: string[] = [];
  /** Why the signal of an ExecSync call aborted, for each one that did. */
  const execAborts: string[] = [];
  // Proves REST calls reach the intercepted core, with the request headers.
  const recorder: CoreInterceptor = {
    async unary(call, next) {
      if (call.ctx.headers.get("x-test-deny") !== null) {
        throw new CoreError("failed_precondition", `denied ${call.method.name} by the test interceptor`);
      }
      intercepted.push(call.method.name);
      if (call.method.name === "ExecSync") {
        call.ctx.signal.addEventListener("abort", () => execAborts.push(String(call.ctx.signal.reason)), { once: true });
      }
      return await next(call);
    },
  };

  // Created in `before`:
  let web = ""; // READY pod, labels app=web tier=front
  let db = ""; // READY pod, labels app=db tier=back
  let gone = ""; // NOTREADY pod, labels app=old
  let main = ""; // RUNNING in web, labels app=web role=main
  let sidecar = ""; // CREATED in web, labels app=web role=sidecar
  let store = ""; // EXITED in db, labels app=db role=main
  let busyboxId = "";

  const tcp = (): CurlTarget => ({ url: gw.url });
  const targets: { name: string; target: () => CurlTarget }[] = [
    { name: "HTTP/1.1 over TCP", target: () => ({ url: gw.url }) },
    { name: "h2c over TCP", target: () => ({ url: gw.url, http2: true }) },
    { name: "HTTP/1.1 over the unix socket", target: () => ({ url: gw.url, socketPath: gw.socketPath }) },
    { name: "h2c over the unix socket", target: () => ({ url: gw.url, socketPath: gw.socketPath, http2: true }) },
  ];

  const get = (path: string, target: CurlTarget = tcp(), headers: Record<string, string> = {}) =>
    runCurl(target, { method: "GET", path, headers });
  const getJson = async (path: string, target: CurlTarget = tcp()): Promise<Json> => {
    const res = await get(path, target);
    assert.equal(res.status, 200, `GET ${path}: ${res.body}`);
    assert.equal(res.headers["content-type"], "application/json", `GET ${path}`);
    return JSON.parse(res.body) as Json;
  };
  const execSync = (id: string, body: string, target: CurlTarget = tcp(), contentType = "application/json") =>
    runCurl(target, {
      method: "POST",
      path: `/v1/containers/${id}/exec-sync`,
      headers: { "Content-Type": contentType },
      body,
    });
  const expectError = (res: CurlResponse, status: number, code: string, message?: string | RegExp) => {
    assert.equal(res.status, status, res.body);
    assert.match(res.headers["content-type"] ?? "", /^application\/json/);
    const body = JSON.parse(res.body) as Json;
    assert.equal(body.code, code, res.body);
    if (typeof message === "string") assert.equal(body.message, message);
    else if (message !== undefined) assert.match(String(body.message), message);
  };
  const idsOf = (list: unknown): string[] => ((list ?? []) as Json[]).map((item) => String(item.id)).sort();

  before(async () => {
    // 1 MiB message limit, so the oversized-body case stays small.
    gw = await startTestGateway({ interceptors: [recorder], maxMessageBytes: 1024 * 1024 });
    const core = gw.gateway.core;
    const ctx = createCallContext();
    for (const image of [busybox, nginx]) {
      const pulled = await core.pullImage(create(PullImageRequestSchema, { image: { image } }), ctx);
      if (image === busybox) busyboxId = pulled.imageRef;
    }
    const runPod = async (name: string, labels: Record<string, string>) =>
      (
        await core.runPodSandbox(
          create(RunPodSandboxRequestSchema, {
            config: { metadata: { name, uid: `uid-${name}`, namespace: "rest" }, labels },
          }),
          ctx,
        )
      ).podSandboxId;
    const createContainer = async (podSandboxId: string, name: string, labels: Record<string, string>) =>
      (
        await core.createContainer(
          create(CreateContainerRequestSchema, {
            podSandboxId,
            config: { metadata: { name }, image: { image: busybox }, command: ["sleep", "3600"], labels },
          }),
          ctx,
        )
      ).containerId;
    web = await runPod("web", { app: "web", tier: "front" });
    db = await runPod("db", { app: "db", tier: "back" });
    gone = await runPod("old", { app: "old" });
    await core.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId: gone }), ctx);
    main = await createContainer(web, "main", { app: "web", role: "main" });
    sidecar = await createContainer(web, "sidecar", { app: "web", role: "sidecar" });
    store = await createContainer(db, "store", { app: "db", role: "main" });
    await core.startContainer(create(StartContainerRequestSchema, { containerId: main }), ctx);
    await core.startContainer(create(StartContainerRequestSchema, { containerId: store }), ctx);
    await core.stopContainer(create(StopContainerRequestSchema, { containerId: store, timeout: 0n }), ctx);
  });
  after(() => gw?.close());

  for (const { name, target } of targets) {
    it(`answers every read route with the exact JSON the Connect API returns over ${name}`, async () => {
      const t = target();
      const cases: { path: string; rpc: string; body: Json }[] = [
        { path: "/v1/version", rpc: "RuntimeService/Version", body: {} },
        { path: "/v1/status", rpc: "RuntimeService/Status", body: {} },
        { path: "/v1/status?verbose=true", rpc: "RuntimeService/Status", body: { verbose: true } },
        { path: "/v1/runtime-config", rpc: "RuntimeService/RuntimeConfig", body: {} },
        { path: "/v1/pods", rpc: "RuntimeService/ListPodSandbox", body: {} },
        { path: `/v1/pods/${web}`, rpc: "RuntimeService/PodSandboxStatus", body: { podSandboxId: web } },
        {
          path: `/v1/pods/${web.slice(0, 12)}?verbose=true`,
          rpc: "RuntimeService/PodSandboxStatus",
          body: { podSandboxId: web, verbose: true },
        },
        { path: "/v1/containers", rpc: "RuntimeService/ListContainers", body: {} },
        { path: `/v1/containers/${main}`, rpc: "RuntimeService/ContainerStatus", body: { containerId: main } },
        {
          path: `/v1/containers/${store.slice(0, 10)}?verbose=1`,
          rpc: "RuntimeService/ContainerStatus",
          body: { containerId: store, verbose: true },
        },
        { path: "/v1/images", rpc: "ImageService/ListImages", body: {} },
        { path: `/v1/images/${busybox}`, rpc: "ImageService/ImageStatus", body: { image: { image: busybox } } },
      ];
      for (const { path, rpc, body } of cases) {
        const rest = await get(path, t);
        const connect = await curlJson(t, rpc, body);
        assert.equal(rest.httpVersion, t.http2 === true ? "2" : "1.1");
        assert.equal(rest.status, 200, `GET ${path}: ${rest.body}`);
        assert.equal(rest.headers["content-type"], "application/json");
        assert.equal(connect.status, 200, `${rpc}: ${connect.body}`);
        // PodSandboxStatus carries the time of the answer; all else is equal byte for byte.
        const stable = (body: string) => body.replace(/^(\{.*"timestamp":")\d+("\})$/, "$1T$2");
        assert.equal(stable(rest.body), stable(connect.body), `GET ${path} differs from ${rpc}`);
      }
    });
  }

  it("serves version, status and runtime-config with real values", async () => {
    const version = await getJson("/v1/version");
    assert.equal(version.runtimeName, "cri-gateway-memory");
    assert.equal(version.runtimeApiVersion, "v1");
    const status = await getJson("/v1/status");
    const conditions = (status.status as Json).conditions as Json[];
    assert.deepEqual(conditions.map((c) => [c.type, c.status]), [["RuntimeReady", true], ["NetworkReady", true]]);
    assert.equal(status.info, undefined, "no info unless verbose");
    const verbose = await getJson("/v1/status?verbose=true");
    assert.ok(Object.keys(verbose.info as Json).length > 0, "verbose status carries info");
    assert.ok("linux" in (await getJson("/v1/runtime-config")));
  });

  it("shows a pod and a container by id prefix, with int64 as strings and enums by name", async () => {
    const pod = (await getJson(`/v1/pods/${web.slice(0, 8)}`)).status as Json;
    assert.equal(pod.id, web);
    assert.deepEqual(pod.metadata, { name: "web", uid: "uid-web", namespace: "rest" });
    assert.match(String(pod.createdAt), /^\d+$/);
    const stopped = (await getJson(`/v1/pods/${gone}`)).status as Json;
    assert.equal(stopped.state, "SANDBOX_NOTREADY");

    const running = (await getJson(`/v1/containers/${main.slice(0, 8)}`)).status as Json;
    assert.equal(running.id, main);
    assert.equal(running.state, "CONTAINER_RUNNING");
    assert.match(String(running.startedAt), /^\d+$/);
    const exited = (await getJson(`/v1/containers/${store}`)).status as Json;
    assert.equal(exited.state, "CONTAINER_EXITED");
  });

  it("serves pod and container stats and the image filesystem", async () => {
    const podStats = (await getJson(`/v1/pods/${web.slice(0, 8)}/stats`)).stats as Json;
    assert.equal((podStats.attributes as Json).id, web);
    assert.deepEqual((podStats.attributes as Json).labels, { app: "web", tier: "front" });
    const ctrStats = (await getJson(`/v1/containers/${main.slice(0, 8)}/stats`)).stats as Json;
    assert.equal((ctrStats.attributes as Json).id, main);
    assert.match(String(((ctrStats.cpu as Json).usageCoreNanoSeconds as Json).value), /^\d+$/);
    const fs = (await getJson("/v1/imagefs")).imageFilesystems as Json[];
    assert.equal(fs.length, 1);
    assert.ok(BigInt(String((fs[0]?.usedBytes as Json).value)) > 0n, "images take space");
  });

  it("filters pods by state, repeated labels and id prefix", async () => {
    const list = async (query: string) => idsOf((await getJson(`/v1/pods${query}`)).items);
    assert.deepEqual(await list(""), [web, db, gone].sort());
    assert.deepEqual(await list("?state=ready"), [web, db].sort());
    assert.deepEqual(await list("?state=READY"), [web, db].sort());
    assert.deepEqual(await list("?state=notready"), [gone]);
    assert.deepEqual(await list("?state=SANDBOX_NOTREADY"), [gone]);
    assert.deepEqual(await list("?label=app=web"), [web]);
    assert.deepEqual(await list("?label=app=web&label=tier=front"), [web]);
    assert.deepEqual(await list("?label=app=web&label=tier=back"), [], "labels must all match");
    assert.deepEqual(await list("?label=tier=back&state=ready"), [db]);
    assert.deepEqual(await list(`?id=${db.slice(0, 10)}`), [db]);
    assert.deepEqual(await list(`?id=${db.slice(0, 10)}&state=notready`), []);
  });

  it("filters containers by state, pod prefix, repeated labels and id prefix", async () => {
    const list = async (query: string) => idsOf((await getJson(`/v1/containers${query}`)).containers);
    assert.deepEqual(await list(""), [main, sidecar, store].sort());
    assert.deepEqual(await list("?state=running"), [main]);
    assert.deepEqual(await list("?state=CONTAINER_RUNNING"), [main]);
    assert.deepEqual(await list("?state=created"), [sidecar]);
    assert.deepEqual(await list("?state=exited"), [store]);
    assert.deepEqual(await list("?state=unknown"), []);
    assert.deepEqual(await list(`?pod=${web.slice(0, 8)}`), [main, sidecar].sort());
    assert.deepEqual(await list(`?pod=${web}&state=created`), [sidecar]);
    assert.deepEqual(await list("?label=role=main"), [main, store].sort());
    assert.deepEqual(await list("?label=role=main&label=app=db"), [store]);
    assert.deepEqual(await list(`?id=${sidecar.slice(0, 8)}`), [sidecar]);
    assert.deepEqual(await list(`?pod=${unknownId}`), [], "an unknown pod matches nothing, as in CRI");
    // Values may contain "=" and need the usual %-escapes.
    assert.deepEqual(await list("?label=role%3Dmain=x"), []);
  });

  it("filters images by reference", async () => {
    const all = (await getJson("/v1/images")).images as Json[];
    assert.ok(all.some((i) => (i.repoTags as string[]).includes(nginx)), "nginx was pulled");
    const one = (await getJson(`/v1/images?image=${encodeURIComponent(busybox)}`)).images as Json[];
    assert.deepEqual(one.map((i) => i.id), [busyboxId]);
  });

  it("finds an image by reference with slashes and colons, short name, digest and id", async () => {
    const byTag = (await getJson(`/v1/images/${busybox}`)).image as Json;
    assert.equal(byTag.id, busyboxId);
    assert.deepEqual(byTag.repoTags, [busybox]);
    const digest = (byTag.repoDigests as string[])[0] ?? "";
    assert.match(digest, /^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
    const refs = [
      "busybox:1.36",
      "docker.io%2Flibrary%2Fbusybox:1.36",
      digest,
      busyboxId,
      busyboxId.slice("sha256:".length, "sha256:".length + 12),
    ];
    for (const ref of refs) {
      for (const { target } of targets.slice(0, 2)) {
        const image = (await getJson(`/v1/images/${ref}`, target())).image as Json;
        assert.equal(image.id, busyboxId, `GET /v1/images/${ref}`);
      }
    }
    const verbose = await getJson(`/v1/images/${busybox}?verbose=true`);
    assert.ok(typeof (verbose.info as Json).info === "string", "verbose image status carries info");
  });

  it("runs exec-sync with {cmd, timeout} and answers ExecSyncResponse JSON", async () => {
    for (const { name, target } of targets) {
      const t = target();
      const echo = await execSync(main.slice(0, 8), JSON.stringify({ cmd: ["echo", "hello", name], timeout: 5 }), t);
      assert.equal(echo.status, 200, echo.body);
      assert.equal(echo.headers["content-type"], "application/json");
      const reply = JSON.parse(echo.body) as Json;
      assert.equal(Buffer.from(String(reply.stdout), "base64").toString(), `hello ${name}\n`);
      assert.equal(reply.exitCode, undefined, "exit code 0 is omitted, as in proto JSON");
    }
    const failing = await execSync(main, JSON.stringify({ cmd: ["sh", "-c", "exit 3"], timeout: "5" }));
    assert.equal(failing.status, 200, failing.body);
    assert.equal((JSON.parse(failing.body) as Json).exitCode, 3);
    const missing = await execSync(main, JSON.stringify({ cmd: ["no-such-tool"] }));
    const reply = JSON.parse(missing.body) as Json;
    assert.equal(reply.exitCode, 127);
    assert.match(Buffer.from(String(reply.stderr), "base64").toString(), /command not found/);
    const noTimeout = await execSync(main, JSON.stringify({ cmd: ["true"] }));
    assert.equal(noTimeout.status, 200, noTimeout.body);
    assert.equal(noTimeout.body, "{}");
  });

  it("answers exec-sync failures with the CRI error codes", async () => {
    expectError(
      await execSync(main, JSON.stringify({ cmd: ["sleep", "5"], timeout: 1 })),
      504,
      "deadline_exceeded",
    );
    expectError(
      await execSync(sidecar, JSON.stringify({ cmd: ["true"] })),
      400,
      "failed_precondition",
      /it is CONTAINER_CREATED|created/i,
    );
    expectError(await execSync(unknownId, JSON.stringify({ cmd: ["true"] })), 404, "not_found", `container "${unknownId}" not found`);
  });

  it("answers unknown ids and images with 404 and the Connect error body", async () => {
    for (const { target } of targets) {
      const t = target();
      expectError(await get(`/v1/pods/${unknownId}`, t), 404, "not_found", `pod sandbox "${unknownId}" not found`);
      expectError(await get(`/v1/pods/${unknownId}/stats`, t), 404, "not_found", /not found/);
      expectError(await get(`/v1/containers/${unknownId}`, t), 404, "not_found", `container "${unknownId}" not found`);
      expectError(await get(`/v1/containers/${unknownId}/stats`, t), 404, "not_found", /not found/);
      // CRI ImageStatus answers an empty message here; REST says 404.
      expectError(await get("/v1/images/docker.io/library/nope:1", t), 404, "not_found", 'image "docker.io/library/nope:1" not found');
    }
  });

  it("rejects bad query parameters with 400 invalid_argument and a clear message", async () => {
    const cases: { path: string; message: string | RegExp }[] = [
      { path: "/v1/pods?state=running", message: 'query parameter "state" must be one of ready, notready, got "running"' },
      { path: "/v1/containers?state=ready", message: 'query parameter "state" must be one of created, running, exited, unknown, got "ready"' },
      { path: "/v1/containers?state=running&state=exited", message: 'query parameter "state" given more than once' },
      { path: "/v1/containers?state=", message: 'query parameter "state" is empty' },
      { path: "/v1/pods?label=app", message: 'query parameter "label" must be key=value, got "app"' },
      { path: "/v1/pods?label==web", message: 'query parameter "label" must be key=value, got "=web"' },
      { path: "/v1/containers?label=app=web&label=app=db", message: 'label "app" given more than once' },
      { path: "/v1/containers?labels=app=web", message: 'unknown query parameter "labels"; expected state, pod, label, id' },
      { path: "/v1/pods?pod=x", message: 'unknown query parameter "pod"; expected state, label, id' },
      { path: "/v1/version?verbose=true", message: 'unknown query parameter "verbose"; this route takes none' },
      { path: `/v1/containers/${main}?verbose=yes`, message: 'query parameter "verbose" must be true or false, got "yes"' },
      { path: "/v1/pods/%ZZ", message: 'malformed %-escape in path "/v1/pods/%ZZ"' },
    ];
    for (const { target } of targets.slice(0, 2)) {
      for (const { path, message } of cases) expectError(await get(path, target()), 400, "invalid_argument", message);
    }
  });

  it("rejects bad exec-sync bodies with a clear message", async () => {
    const cases: { body: string; contentType?: string; message: string | RegExp }[] = [
      { body: '{"cmd":["true"]}', contentType: "text/plain", message: 'content-type must be application/json, got "text/plain"' },
      { body: '{"cmd":["true"]}', contentType: "application/x-www-form-urlencoded", message: /^content-type must be application\/json/ },
      { body: "{nope", message: /^request body is not valid JSON: / },
      { body: "[]", message: /^request body must be a JSON object/ },
      { body: '{"cmd":"echo hi"}', message: "cmd must be an array of strings" },
      { body: '{"cmd":["echo",1]}', message: "cmd must be an array of strings" },
      { body: '{"cmd":[]}', message: "cmd must not be empty" },
      { body: "{}", message: "cmd must not be empty" },
      { body: '{"cmd":["true"],"timeout":-1}', message: "timeout must be a whole number of seconds, got -1" },
      { body: '{"cmd":["true"],"timeout":1.5}', message: "timeout must be a whole number of seconds, got 1.5" },
      { body: '{"cmd":["true"],"timeout":"soon"}', message: 'timeout must be a whole number of seconds, got "soon"' },
      { body: '{"cmd":["true"],"containerId":"x"}', message: 'unknown field "containerId"; expected cmd, timeout' },
    ];
    for (const { target } of targets.slice(0, 2)) {
      for (const { body, contentType, message } of cases) {
        expectError(await execSync(main, body, target(), contentType), 400, "invalid_argument", message);
      }
    }
  });

  it("refuses an oversized exec-sync body with resource_exhausted and keeps serving", async () => {
    const big = JSON.stringify({ cmd: ["echo", "x".repeat(1024 * 1024 + 10)] });
    for (const { target } of targets.slice(0, 2)) {
      const t = target();
      expectError(await execSync(main, big, t), 429, "resource_exhausted", /is larger than the limit of 1048576 bytes$/);
      assert.equal((await getJson("/v1/version", t)).runtimeApiVersion, "v1");
    }
  });

  it("sends REST calls through the core interceptors with the request headers", async () => {
    intercepted.length = 0;
    await getJson("/v1/version");
    await getJson(`/v1/containers/${main}`);
    const exec = await execSync(main, '{"cmd":["true"]}');
    assert.equal(exec.status, 200);
    assert.deepEqual(intercepted, ["Version", "ContainerStatus", "ExecSync"]);

    for (const { target } of targets.slice(0, 2)) {
      const denied = await get("/v1/pods", target(), { "X-Test-Deny": "1" });
      expectError(denied, 400, "failed_precondition", "denied ListPodSandbox by the test interceptor");
    }
  });

  it("aborts the call's signal when the client goes away, and only then", async () => {
    execAborts.length = 0;
    assert.equal((await execSync(main, '{"cmd":["true"]}')).status, 200);
    await assert.rejects(
      runCurl(tcp(), {
        method: "POST",
        path: `/v1/containers/${main}/exec-sync`,
        headers: { "Content-Type": "application/json" },
        body: '{"cmd":["sleep","30"],"timeout":60}',
        maxTimeSeconds: 0.5,
      }),
      /Operation timed out/,
    );
    await waitFor("the ExecSync signal to abort", () => execAborts.length > 0);
    assert.deepEqual(execAborts, ["ConnectError: [canceled] client closed the request"]);
  });

  it("keeps unknown /v1 paths and methods on the common 404", async () => {
    expectError(await get("/v1/nothing"), 404, "not_found", "no route for GET /v1/nothing");
    const post = await runCurl(tcp(), { method: "POST", path: "/v1/pods", headers: { "Content-Type": "application/json" }, body: "{}" });
    expectError(post, 404, "not_found", "no route for POST /v1/pods");
  });
});
