/**
 * The remote core's redial: settings, no dialing before the first call, a
 * background probe that finds the upstream again, close() stopping it, and
 * the image endpoint tracked apart from the runtime endpoint.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { ListImagesRequestSchema, VersionRequestSchema } from "../../gen/runtime/v1/api_pb.js";
import { createCallContext } from "../../src/core/call-context.js";
import { CoreError } from "../../src/core/core-error.js";
import type { RuntimeCore } from "../../src/core/runtime-core.js";
import { startGateway } from "../../src/gateway.js";
import { createRemoteRuntime } from "../../src/runtimes/remote/index.js";
import { makeTempDir } from "../helpers/start-gateway.js";
import { waitFor } from "../helpers/wait-for.js";

const temp = await makeTempDir();
const upstreamSocket = join(temp.dir, "up.sock");
const upstream = await startGateway({ socket: upstreamSocket, graceMs: 200 });
const cores: RuntimeCore[] = [];
const servers: Server[] = [];
after(async () => {
  for (const core of cores) await core.close();
  for (const server of servers) server.close();
  await upstream.close();
  await temp.remove();
});

const open = (settings: Record<string, string>): RuntimeCore => {
  const core = createRemoteRuntime({ gatewayUrl: () => "http://127.0.0.1:1", maxMessageBytes: 8192, settings });
  cores.push(core);
  return core;
};

/** A unix socket server that only counts the connections it accepts (and drops them). */
async function countConnections(path: string): Promise<{ count(): number }> {
  let n = 0;
  const server = createServer((socket) => {
    n++;
    socket.destroy();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { count: () => n };
}

const version = (core: RuntimeCore) => core.version(create(VersionRequestSchema, {}), createCallContext());

describe("remote core reconnect", () => {
  for (const key of ["reconnect-initial-ms", "reconnect-max-ms"]) {
    it(`rejects a bad ${key} with invalid_argument naming the setting`, () => {
      for (const value of ["0", "-5", "1.5", "soon"]) {
        assert.throws(
          () => open({ upstream: `unix://${upstreamSocket}`, [key]: value }),
          (err: unknown) => err instanceof CoreError && err.kind === "invalid_argument" && err.message.includes(`invalid ${key} "${value}"`),
        );
      }
    });
  }

  it("dials nothing before the first call, redials in the background once down, and finds the upstream again", async () => {
    const path = join(temp.dir, "later.sock");
    const core = open({ upstream: `unix://${path}`, "reconnect-initial-ms": "20", "reconnect-max-ms": "50" });
    const idle = await countConnections(path);
    await sleep(150);
    assert.equal(idle.count(), 0, "the core dialed before any call");
    await new Promise((resolve) => servers.pop()?.close(resolve));
    // Nothing listens: the first call fails, and the endpoint is down.
    await assert.rejects(version(core), (err: unknown) => err instanceof CoreError && err.kind === "unavailable");
    await assert.rejects(version(core), (err: unknown) => err instanceof CoreError && /\(reconnecting, /.test(err.message));
    const probe = await countConnections(path);
    await waitFor("a background probe", () => probe.count() >= 1, { timeoutMs: 1000 });
    // Once a probe got through the endpoint is up: no more probes while nothing fails.
    const seen = probe.count();
    await sleep(200);
    assert.equal(probe.count(), seen, "probed again while up");
  });

  it("stops redialing when the core is closed", async () => {
    const path = join(temp.dir, "closed.sock");
    const core = open({ upstream: `unix://${path}`, "reconnect-initial-ms": "20", "reconnect-max-ms": "50" });
    await assert.rejects(version(core), (err: unknown) => err instanceof CoreError && err.kind === "unavailable");
    await core.close();
    const listener = await countConnections(path);
    await sleep(250);
    assert.equal(listener.count(), 0, "a closed core still probed");
  });

  it("tracks the image endpoint apart: images fail fast while runtime calls go through", async () => {
    const imageEndpoint = `unix://${join(temp.dir, "images.sock")}`;
    const core = open({ upstream: `unix://${upstreamSocket}`, "image-upstream": imageEndpoint });
    const ctx = createCallContext();
    await assert.rejects(core.listImages(create(ListImagesRequestSchema, {}), ctx), (err: unknown) => {
      assert.ok(err instanceof CoreError && err.kind === "unavailable", String(err));
      assert.equal(err.message, `runtime endpoint ${imageEndpoint} is unavailable: connect ENOENT`);
      return true;
    });
    const started = Date.now();
    await assert.rejects(core.listImages(create(ListImagesRequestSchema, {}), ctx), (err: unknown) => {
      assert.ok(err instanceof CoreError && err.kind === "unavailable", String(err));
      assert.match(err.message, new RegExp(`^runtime endpoint ${imageEndpoint} is unavailable: connect ENOENT \\(reconnecting, `));
      return true;
    });
    assert.ok(Date.now() - started < 100, "a call to a down endpoint was not refused at once");
    assert.equal((await version(core)).runtimeName, "cri-gateway-memory");
    assert.deepEqual(await core.health(), { ready: false, message: `runtime endpoint ${imageEndpoint} is not ready: ENOENT` });
  });
});
