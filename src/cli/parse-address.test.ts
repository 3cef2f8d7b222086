import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseListenAddress } from "./parse-address.js";

describe("parseListenAddress", () => {
  const cases: { desc: string; input: string; want: ReturnType<typeof parseListenAddress> }[] = [
    { desc: "accepts host and port", input: "127.0.0.1:7070", want: { host: "127.0.0.1", port: 7070 } },
    { desc: "accepts a bracketed IPv6 host", input: "[::1]:80", want: { host: "::1", port: 80 } },
    { desc: "defaults an empty host to loopback", input: ":9000", want: { host: "127.0.0.1", port: 9000 } },
    { desc: "accepts port 0 for an ephemeral port", input: "localhost:0", want: { host: "localhost", port: 0 } },
    { desc: "turns none into no listener", input: "none", want: undefined },
  ];
  for (const c of cases) {
    it(c.desc, () => assert.deepEqual(parseListenAddress(c.input), c.want));
  }
  for (const bad of ["7070", "host:", "host:99999", "::1:80", "a:b"]) {
    it(`rejects "${bad}" with a message naming the value`, () => {
      assert.throws(() => parseListenAddress(bad), new RegExp(`invalid --listen "${bad.replace(/[[\]]/g, "\\$&")}"`));
    });
  }
});
