/**
 * `--allowed-host` reaches the listeners: the DNS-rebinding guard refuses
 * unknown Host names on TCP and lets the named one (and loopback) through.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { type CliServer, startCliServer } from "../helpers/cli-process.js";

describe("cri-gateway serve --allowed-host", () => {
  let server: CliServer;
  before(async () => {
    server = await startCliServer(["--listen", "127.0.0.1:0", "--allowed-host", "gw.example"]);
  });
  after(async () => {
    server.child.kill("SIGTERM");
    await server.exit(10_000);
  });

  /** POST Version with a hand-set Host header (fetch may not set Host). */
  const version = (host: string) =>
    new Promise<{ status: number; json: () => Promise<Record<string, unknown>> }>((resolve, reject) => {
      const req = request(
        `${server.url}/runtime.v1.RuntimeService/Version`,
        { method: "POST", headers: { "content-type": "application/json", host } },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (body += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, json: async () => JSON.parse(body) }));
        },
      );
      req.on("error", reject);
      req.end("{}");
    });

  it("serves a request naming the allowed host", async () => {
    const res = await version("gw.example:7070");
    assert.equal(res.status, 200);
    assert.equal((await res.json()).runtimeApiVersion, "v1");
  });

  it("refuses any other host with 421 and says how to allow it", async () => {
    const res = await version("rebound.example");
    assert.equal(res.status, 421);
    assert.deepEqual(await res.json(), {
      code: "permission_denied",
      message: 'host "rebound.example" is not allowed; start the gateway with --allowed-host rebound.example to allow it',
    });
  });
});
