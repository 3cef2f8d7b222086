/**
 * Runs the runtime-core contract suite against the remote core, with a real
 * gateway (memory runtime, real CRI gRPC server on a temp unix socket) as the
 * upstream, plus what only a proxy must do: pass upstream errors through,
 * forward deadlines, cancellation and trace headers, fail fast with
 * `unavailable` when the upstream is gone, and recover when it is back.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  ContainerStatusRequestSchema,
  ExecSyncRequestSchema,
  ListImagesRequestSchema,
  StartContainerRequestSchema,
  VersionRequestSchema,
} from "../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../src/core/call-context.js";
import { CoreError } from "../../src/core/core-error.js";
import type { CoreInterceptor } from "../../src/core/intercept.js";
import type { RuntimeCore } from "../../src/core/runtime-core.js";
import { type Gateway, startGateway } from "../../src/gateway.js";
import { createRemoteRuntime } from "../../src/runtimes/remote/index.js";
import { type CliServer, startCliServer } from "../helpers/cli-process.js";
import { curlJson, runCurl } from "../helpers/curl.js";
import { makeTempDir } from "../helpers/start-gateway.js";
import { waitFor } from "../helpers/wait-for.js";
import { createFixture } from "./contract-fixture.js";
import { runCoreContract } from "./runtime-core.contract.js";

const temp = await makeTempDir();
const upstreamSocket = join(temp.dir, "up.sock");
const seenHeaders: Headers[] = [];
const recordHeaders: CoreInterceptor = {
  unary(call, next) {
    seenHeaders.push(call.ctx.headers);
    return next(call);
  },
};
// The upstream also listens on loopback TCP: its memory runtime puts that
// address in Exec/Attach/PortForward URLs.
const startUpstream = (socket = upstreamSocket): Promise<Gateway> =>
  startGateway({ socket, tcp: { host: "127.0.0.1", port: 0 }, graceMs: 500, interceptors: [recordHeaders] });
let upstream = await startUpstream();
after(async () => {
  await upstream.close();
  await temp.remove();
});

const remoteCore = (settings: Record<string, string> = {}): RuntimeCore =>
  createRemoteRuntime({
    gatewayUrl: () => "http://127.0.0.1:1",
    maxMessageBytes: 8192,
    settings: { upstream: `unix://${upstreamSocket}`, ...settings },
  });

runCoreContract({ name: "remote (memory upstream)", newCore: () => remoteCore() });

/** Elapsed ms of `body`, which must reject; returns the error. */
async function timedRejection(body: () => Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const started = Date.now();
  try {
    await body();
  } catch (err) {
    return { err, ms: Date.now() - started };
  }
  assert.fail("expected a rejection");
}

describe("remote core", () => {
  const cores: RuntimeCore[] = [];
  const open = (settings?: Record<string, string>) => {
    const core = remoteCore(settings);
    cores.push(core);
    return core;
  };
  after(async () => {
    for (const core of cores) await core.close();
  });

  /** A running `sleep 3600` container on the upstream, through `core`. */
  async function runningContainer(core: RuntimeCore): Promise<string> {
    const fixture = createFixture(core, "docker.io/library/busybox:1.36");
    const pod = await fixture.runPod("remote");
    const id = await fixture.createContainer(pod, "c");
    await core.startContainer(create(StartContainerRequestSchema, { containerId: id }), createCallContext());
    return id;
  }

  it("rejects a missing or malformed upstream with invalid_argument", () => {
    for (const upstreamValue of [undefined, "", "/run/x.sock", "http://x:1", "unix://relative.sock", "tcp://host"]) {
      assert.throws(
        () =>
          createRemoteRuntime({
            gatewayUrl: () => "",
            maxMessageBytes: 1024,
            settings: upstreamValue === undefined ? {} : { upstream: upstreamValue },
          }),
        (err: unknown) => err instanceof CoreError && err.kind === "invalid_argument" && /unix:\/\/\/|tcp:\/\//.test(err.message),
      );
    }
  });

  it("passes an upstream not_found through unchanged, code and message", async () => {
    const core = open();
    const { err } = await timedRejection(() =>
      core.containerStatus(create(ContainerStatusRequestSchema, { containerId: "feedbeef" }), createCallContext()),
    );
    assert.ok(err instanceof ConnectError, String(err));
    assert.equal(err.code, Code.NotFound);
    assert.equal(err.rawMessage, 'container "feedbeef" not found');
  });

  it("forwards the deadline: ExecSync sleep 5 with 200 ms left ends deadline_exceeded quickly", async () => {
    const core = open();
    const id = await runningContainer(core);
    const ctx = createCallContext({ deadline: Date.now() + 200 });
    const { err, ms } = await timedRejection(() =>
      core.execSync(create(ExecSyncRequestSchema, { containerId: id, cmd: ["sleep", "5"] }), ctx),
    );
    assert.ok(err instanceof ConnectError, String(err));
    assert.equal(err.code, Code.DeadlineExceeded);
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  it("cancels the upstream call when ctx.signal aborts", async () => {
    const core = open();
    const id = await runningContainer(core);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 150);
    const { err, ms } = await timedRejection(() =>
      core.execSync(
        create(ExecSyncRequestSchema, { containerId: id, cmd: ["sleep", "5"] }),
        createCallContext({ signal: abort.signal }),
      ),
    );
    assert.ok(err instanceof ConnectError, String(err));
    assert.equal(err.code, Code.Canceled);
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  it("forwards traceparent, tracestate and configured headers, and nothing else", async () => {
    const core = open({ "forward-headers": "x-request-id" });
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    seenHeaders.length = 0;
    await core.version(
      create(VersionRequestSchema, {}),
      createCallContext({
        headers: new Headers({ traceparent, tracestate: "k=v", "x-request-id": "r-7", authorization: "Bearer secret" }),
      }),
    );
    const seen = seenHeaders.at(-1);
    assert.ok(seen !== undefined, "upstream saw the call");
    assert.equal(seen.get("traceparent"), traceparent);
    assert.equal(seen.get("tracestate"), "k=v");
    assert.equal(seen.get("x-request-id"), "r-7");
    assert.equal(seen.get("authorization"), null);
  });

  it("fails fast with unavailable naming the endpoint when nothing listens, and reports not ready", async () => {
    const endpoint = `unix://${join(temp.dir, "nobody.sock")}`;
    const core = open({ upstream: endpoint });
    const { err, ms } = await timedRejection(() => core.version(create(VersionRequestSchema, {}), createCallContext()));
    assert.ok(err instanceof CoreError, String(err));
    assert.equal(err.kind, "unavailable");
    assert.equal(err.message, `runtime endpoint ${endpoint} is unavailable: connect ENOENT`);
    assert.ok(ms < 2000, `took ${ms} ms`);
    assert.deepEqual(await core.health(), { ready: false, message: `runtime endpoint ${endpoint} is not ready: ENOENT` });
    assert.deepEqual(await open().health(), { ready: true });
  });

  it("recovers without a restart when the upstream comes back on the same path", async () => {
    const core = open();
    const ctx = createCallContext();
    assert.equal((await core.version(create(VersionRequestSchema, {}), ctx)).runtimeName, "cri-gateway-memory");
    await upstream.close();
    const { err, ms } = await timedRejection(() => core.version(create(VersionRequestSchema, {}), ctx));
    assert.ok(err instanceof CoreError && err.kind === "unavailable", String(err));
    assert.match(err.message, new RegExp(`^runtime endpoint unix://${upstreamSocket} is unavailable: `));
    assert.ok(ms < 2000, `took ${ms} ms`);
    upstream = await startUpstream();
    // The core redials in the background (100 ms, then backoff); until then calls fail fast.
    const version = await waitFor(
      "the remote core to reconnect",
      () =>
        core.version(create(VersionRequestSchema, {}), ctx).catch((e: unknown) => {
          assert.ok(e instanceof CoreError && e.kind === "unavailable", String(e));
          return undefined;
        }),
      { timeoutMs: 2000 },
    );
    assert.equal(version.runtimeName, "cri-gateway-memory");
    assert.deepEqual(await core.health(), { ready: true });
  });

  describe("through the CLI", () => {
    let server: CliServer | undefined;
    before(async () => {
      server = await startCliServer(["--listen", "127.0.0.1:0", "--runtime", "remote", "--upstream", `unix://${upstreamSocket}`]);
    });
    after(() => server?.kill());

    it("answers Version over curl JSON with the upstream's runtime name", async () => {
      assert.ok(server !== undefined);
      assert.match(server.stdout(), /runtime=remote/);
      const version = await curlJson({ url: server.url }, "RuntimeService/Version", {});
      assert.equal(version.status, 200, version.body);
      assert.equal((version.json as { runtimeName?: string }).runtimeName, "cri-gateway-memory");
      const ready = await runCurl({ url: server.url }, { method: "GET", path: "/readyz" });
      assert.equal(ready.status, 200, ready.body);
    });
  });

  it("sends ImageService to --image-upstream when it is set", async () => {
    const imageEndpoint = `unix://${join(temp.dir, "images-down.sock")}`;
    const core = open({ "image-upstream": imageEndpoint });
    const ctx = createCallContext();
    assert.equal((await core.version(create(VersionRequestSchema, {}), ctx)).runtimeName, "cri-gateway-memory");
    await assert.rejects(core.listImages(create(ListImagesRequestSchema, {}), ctx), (err: unknown) => {
      assert.ok(err instanceof CoreError && err.kind === "unavailable", String(err));
      assert.match(err.message, new RegExp(`^runtime endpoint ${imageEndpoint} is unavailable`));
      return true;
    });
  });
});
