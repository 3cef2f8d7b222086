/**
 * The real curl binary speaking Connect JSON to the gateway over TCP and the
 * unix socket, HTTP/1.1 and HTTP/2 with prior knowledge: a small CRI story,
 * then the status codes and error bodies plain HTTP clients see.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type CurlTarget, curlJson } from "../helpers/curl.js";
import { type TestGateway, startTestGateway } from "../helpers/start-gateway.js";

type Json = Record<string, unknown>;

describe("curl speaking Connect JSON", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  const targets: { name: string; target: () => CurlTarget }[] = [
    { name: "TCP, HTTP/1.1", target: () => ({ url: gw.url }) },
    { name: "TCP, HTTP/2 prior knowledge", target: () => ({ url: gw.url, http2: true }) },
    { name: "unix socket, HTTP/1.1", target: () => ({ url: gw.url, socketPath: gw.socketPath }) },
    { name: "unix socket, HTTP/2 prior knowledge", target: () => ({ url: gw.url, socketPath: gw.socketPath, http2: true }) },
  ];

  for (const { name, target } of targets) {
    it(`runs a pod and a container, execs in it and cleans up over ${name}`, async () => {
      const t = target();
      const suffix = randomBytes(4).toString("hex");
      const call = async (rpc: string, message: unknown): Promise<Json> => {
        const res = await curlJson(t, rpc, message);
        assert.equal(res.status, 200, `${rpc}: ${res.body}`);
        assert.equal(res.httpVersion, t.http2 === true ? "2" : "1.1");
        assert.equal(res.headers["content-type"], "application/json");
        return res.json as Json;
      };

      const version = await call("RuntimeService/Version", {});
      assert.equal(version.runtimeName, "cri-gateway-memory");
      assert.equal(version.runtimeApiVersion, "v1");

      const image = `docker.io/library/busybox:curl-${suffix}`;
      const pulled = await call("ImageService/PullImage", { image: { image } });
      assert.match(String(pulled.imageRef), /^sha256:[0-9a-f]{64}$/);

      const labels = { "e2e.cri-gateway/curl": suffix };
      const podConfig = { metadata: { name: `curl-${suffix}`, namespace: "e2e", uid: `uid-${suffix}` }, labels };
      const { podSandboxId } = await call("RuntimeService/RunPodSandbox", { config: podConfig });
      assert.match(String(podSandboxId), /^[0-9a-f]{64}$/);
      const { containerId } = await call("RuntimeService/CreateContainer", {
        podSandboxId,
        config: { metadata: { name: "app" }, image: { image }, command: ["sleep", "3600"], labels },
      });
      assert.match(String(containerId), /^[0-9a-f]{64}$/);
      assert.deepEqual(await call("RuntimeService/StartContainer", { containerId }), {});

      const exec = await call("RuntimeService/ExecSync", { containerId, cmd: ["echo", "hello"], timeout: "5" });
      assert.equal(Buffer.from(String(exec.stdout), "base64").toString(), "hello\n");
      assert.equal(exec.exitCode ?? 0, 0, "exit code 0 (omitted in JSON as the default)");
      const failing = await call("RuntimeService/ExecSync", { containerId, cmd: ["sh", "-c", "exit 3"] });
      assert.equal(failing.exitCode, 3);

      const listed = await call("RuntimeService/ListContainers", {
        filter: { labelSelector: labels, state: { state: "CONTAINER_RUNNING" } },
      });
      const containers = listed.containers as Json[];
      assert.deepEqual(containers.map((c) => c.id), [containerId]);
      assert.equal(containers[0]?.state, "CONTAINER_RUNNING");
      assert.equal(containers[0]?.podSandboxId, podSandboxId);

      await call("RuntimeService/StopContainer", { containerId, timeout: 1 });
      const status = await call("RuntimeService/ContainerStatus", { containerId });
      assert.equal((status.status as Json).state, "CONTAINER_EXITED");
      await call("RuntimeService/RemoveContainer", { containerId });
      await call("RuntimeService/StopPodSandbox", { podSandboxId });
      await call("RuntimeService/RemovePodSandbox", { podSandboxId });

      // The container is gone: 404 with the Connect error body.
      const gone = await curlJson(t, "RuntimeService/ContainerStatus", { containerId });
      assert.equal(gone.status, 404);
      assert.equal(gone.headers["content-type"], "application/json");
      assert.deepEqual(gone.json, { code: "not_found", message: `container "${containerId}" not found` });
      await call("ImageService/RemoveImage", { image: { image } });
    });
  }

  // NOTE: a path that is not an RPC is answered without reading the request
  // body. Over HTTP/2, Node then resets the stream (RST_STREAM NO_ERROR, as
  // RFC 9113 8.1 allows), and curl sometimes fails such an early response
  // with error 92 (curl/curl#22984); so such rows use HTTP/1.1 on both listeners.
  const errors: { desc: string; rpc: string; body: unknown; status: number; code: string; message: string | RegExp; unread?: true }[] = [
    { desc: "a missing container_id", rpc: "RuntimeService/ContainerStatus", body: {}, status: 400, code: "invalid_argument", message: "container_id is required" },
    { desc: "an unknown pod sandbox", rpc: "RuntimeService/PodSandboxStatus", body: { podSandboxId: "f00d" }, status: 404, code: "not_found", message: 'pod sandbox "f00d" not found' },
    { desc: "a container in an unknown pod sandbox", rpc: "RuntimeService/CreateContainer", body: { podSandboxId: "f00d", config: { metadata: { name: "c" }, image: { image: "busybox" } } }, status: 404, code: "not_found", message: 'pod sandbox "f00d" not found' },
    { desc: "malformed JSON", rpc: "RuntimeService/Version", body: "{", status: 400, code: "invalid_argument", message: /cannot decode message runtime\.v1\.VersionRequest from JSON/ },
    { desc: "an unknown method", rpc: "RuntimeService/NoSuchMethod", body: {}, status: 404, code: "not_found", message: "no route for POST /runtime.v1.RuntimeService/NoSuchMethod", unread: true },
  ];
  for (const e of errors) {
    it(`answers ${e.desc} with HTTP ${e.status} and code ${e.code} in the error body`, async () => {
      for (const target of [{ url: gw.url }, { url: gw.url, socketPath: gw.socketPath, http2: e.unread !== true }]) {
        const res = await curlJson(target, e.rpc, e.body);
        assert.equal(res.status, e.status, res.body);
        assert.match(res.headers["content-type"] ?? "", /^application\/json/);
        const json = res.json as Json;
        assert.equal(json.code, e.code);
        if (typeof e.message === "string") assert.equal(json.message, e.message);
        else assert.match(String(json.message), e.message);
      }
    });
  }

  it("answers a name conflict with HTTP 409 already_exists and a wrong state with HTTP 400 failed_precondition", async () => {
    const t = { url: gw.url };
    const suffix = randomBytes(4).toString("hex");
    const config = { metadata: { name: `dup-${suffix}`, namespace: "e2e", uid: `uid-${suffix}` } };
    const first = await curlJson(t, "RuntimeService/RunPodSandbox", { config });
    assert.equal(first.status, 200);
    const again = await curlJson(t, "RuntimeService/RunPodSandbox", { config });
    assert.equal(again.status, 409);
    assert.equal((again.json as Json).code, "already_exists");
    const podSandboxId = (first.json as Json).podSandboxId;
    await curlJson(t, "RuntimeService/StopPodSandbox", { podSandboxId });
    const stats = await curlJson(t, "RuntimeService/PodSandboxStats", { podSandboxId });
    assert.equal(stats.status, 400);
    assert.equal((stats.json as Json).code, "failed_precondition");
    assert.match(String((stats.json as Json).message), /not ready/);
    await curlJson(t, "RuntimeService/RemovePodSandbox", { podSandboxId });
  });
});
