/**
 * The network guard the offline checks rely on must really refuse outside
 * connections (or those checks prove nothing) and must let loopback through.
 */
import assert from "node:assert/strict";
import dns from "node:dns";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { type NetworkGuard, installNetworkGuard, isLoopback } from "./network-guard.js";

describe("network guard", () => {
  let guard: NetworkGuard;
  let server: http.Server;
  let port: number;

  before(async () => {
    server = http.createServer((_req, res) => res.end("local"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    guard = installNetworkGuard();
  });
  after(async () => {
    guard.uninstall();
    await new Promise((resolve) => server.close(resolve));
  });

  it("tells loopback hosts from others", () => {
    for (const host of ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1"]) assert.ok(isLoopback(host), host);
    for (const host of ["192.0.2.1", "registry.npmjs.org", "::2", "10.0.0.1"]) assert.ok(!isLoopback(host), host);
  });

  it("refuses fetch to a non-loopback address and records it", async () => {
    // 192.0.2.0/24 is TEST-NET-1: never routed, even if the guard failed.
    await assert.rejects(fetch("http://192.0.2.1:8080/", { signal: AbortSignal.timeout(3000) }));
    assert.ok(guard.blocked.includes("192.0.2.1:8080"), `blocked: ${guard.blocked.join(", ")}`);
  });

  it("refuses node:https by host name before any DNS query", async () => {
    const { get } = await import("node:https");
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => get("https://registry.npmjs.org/", () => {}).on("error", resolve));
    assert.equal(err.code, "ENETUNREACH");
    assert.ok(guard.blocked.includes("registry.npmjs.org:443"));
  });

  it("refuses DNS lookups of outside names", async () => {
    await assert.rejects(dns.promises.lookup("telemetry.example.com"), { code: "ENOTFOUND" });
    const err = await new Promise<Error | null>((resolve) => dns.lookup("api.example.com", (e) => resolve(e)));
    assert.equal((err as NodeJS.ErrnoException | null)?.code, "ENOTFOUND");
    assert.ok(guard.blocked.includes("telemetry.example.com") && guard.blocked.includes("api.example.com"));
  });

  it("lets loopback connections through", async () => {
    const before = guard.blocked.length;
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await res.text(), "local");
    assert.equal(guard.blocked.length, before);
  });
});
