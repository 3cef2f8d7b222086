import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { reachableUrl } from "./gateway.js";

describe("reachableUrl (the base of streaming URLs)", () => {
  const cases: { name: string; host: string; secure?: boolean; allowed?: string[]; want: string }[] = [
    { name: "keeps a concrete address", host: "127.0.0.1", want: "http://127.0.0.1:7070" },
    { name: "names a wildcard listener by the first allowed host", host: "0.0.0.0", allowed: ["node1.example", "x"], want: "http://node1.example:7070" },
    { name: "drops a port given with the allowed host", host: "0.0.0.0", allowed: ["node1.example:9"], want: "http://node1.example:7070" },
    { name: "falls back to loopback without one", host: "0.0.0.0", want: "http://127.0.0.1:7070" },
    { name: "uses IPv6 loopback for ::", host: "::", want: "http://[::1]:7070" },
    { name: "brackets an IPv6 allowed host", host: "::", allowed: ["fd00::1"], want: "http://[fd00::1]:7070" },
    { name: "says https with TLS", host: "0.0.0.0", secure: true, allowed: ["node1.example"], want: "https://node1.example:7070" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const url = `${c.secure ? "https" : "http"}://${c.host.includes(":") ? `[${c.host}]` : c.host}:7070`;
      assert.equal(reachableUrl({ host: c.host, port: 7070, url }, c.secure === true, c.allowed), c.want);
    });
  }
});
