/**
 * Streaming URLs: `/stream/<kind>/<token>` is built and parsed back, and
 * anything else under `/stream/` is not a route.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isStreamPath, parseStreamRoute, streamKinds, toStreamUrl } from "./stream-route.js";

describe("toStreamUrl and parseStreamRoute", () => {
  it("round-trips every kind through the URL path", () => {
    for (const kind of streamKinds) {
      const token = "AbC_dEf-123";
      const url = toStreamUrl("http://127.0.0.1:7070", { kind, token });
      assert.equal(url, `http://127.0.0.1:7070/stream/${kind}/${token}`);
      const path = new URL(url).pathname;
      assert.ok(isStreamPath(path));
      assert.deepEqual(parseStreamRoute(path), { kind, token });
    }
  });

  it("drops trailing slashes of the base URL", () => {
    assert.equal(toStreamUrl("http://localhost//", { kind: "exec", token: "t" }), "http://localhost/stream/exec/t");
  });

  it("accepts a query string and one trailing slash", () => {
    assert.deepEqual(parseStreamRoute("/stream/portforward/tok?port=8080&port=9090"), { kind: "portforward", token: "tok" });
    assert.deepEqual(parseStreamRoute("/stream/attach/tok/"), { kind: "attach", token: "tok" });
    assert.deepEqual(parseStreamRoute("/stream/exec/tok/?x=1"), { kind: "exec", token: "tok" });
  });

  const rejected: [string, string][] = [
    ["an unknown kind", "/stream/shell/tok"],
    ["a kind in another case", "/stream/Exec/tok"],
    ["a missing token", "/stream/exec/"],
    ["no kind at all", "/stream/"],
    ["a token with a dot", "/stream/exec/a.b"],
    ["a token with percent-encoding", "/stream/exec/a%2Fb"],
    ["a token with a slash after it", "/stream/exec/tok/more"],
    ["a token longer than 128 characters", `/stream/exec/${"a".repeat(129)}`],
    ["a path outside /stream/", "/streams/exec/tok"],
    ["a path that only ends like one", "/x/stream/exec/tok"],
    ["a fragment", "/stream/exec/tok#frag"],
  ];
  for (const [name, path] of rejected) {
    it(`rejects ${name}`, () => {
      assert.equal(parseStreamRoute(path), undefined, path);
    });
  }

  it("accepts a token of exactly 128 characters", () => {
    const token = "a".repeat(128);
    assert.deepEqual(parseStreamRoute(`/stream/exec/${token}`), { kind: "exec", token });
  });
});

describe("isStreamPath", () => {
  it("is true for everything under /stream/, well-formed or not", () => {
    assert.ok(isStreamPath("/stream/exec/tok"));
    assert.ok(isStreamPath("/stream/nonsense"));
    assert.ok(!isStreamPath("/stream"));
    assert.ok(!isStreamPath("/healthz"));
    assert.ok(!isStreamPath("/runtime.v1.RuntimeService/Exec"));
  });
});
