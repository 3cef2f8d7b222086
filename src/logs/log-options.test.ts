import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { describe, it } from "node:test";
import { LogStream, ReadLogsRequestSchema } from "../../gen/crigateway/v1/logs_pb.js";
import { CoreError } from "../core/core-error.js";
import { toLogReadOptions } from "./log-options.js";

const now = 1_700_000_000_000_000_000n;
const req = (init: Parameters<typeof create<typeof ReadLogsRequestSchema>>[1]) => create(ReadLogsRequestSchema, { containerId: "c", ...init });

describe("toLogReadOptions", () => {
  it("defaults to everything, both streams, no limit", () => {
    assert.deepEqual(toLogReadOptions(req({}), now), {
      follow: false,
      tailLines: -1,
      sinceNanos: undefined,
      timestamps: false,
      limitBytes: -1,
      stream: undefined,
    });
  });

  it("takes the later of since_time and since_seconds, as the kubelet", () => {
    const seconds = toLogReadOptions(req({ sinceSeconds: 10n, sinceTime: "2000-01-01T00:00:00Z" }), now);
    assert.equal(seconds.sinceNanos, now - 10_000_000_000n);
    const time = toLogReadOptions(req({ sinceSeconds: 10n, sinceTime: "2030-01-01T00:00:00Z" }), now);
    assert.equal(time.sinceNanos, 1_893_456_000_000_000_000n);
  });

  const bad: { name: string; init: Parameters<typeof req>[0]; message: RegExp }[] = [
    { name: "a negative tail", init: { tailLines: -1n }, message: /tail_lines must not be negative/ },
    { name: "tail with one stream", init: { tailLines: 1n, stream: LogStream.STDERR }, message: /stream ALL/ },
    { name: "a zero byte limit", init: { limitBytes: 0n }, message: /limit_bytes/ },
    { name: "zero since_seconds", init: { sinceSeconds: 0n }, message: /since_seconds/ },
    { name: "a since_time that is not RFC 3339", init: { sinceTime: "yesterday" }, message: /since_time "yesterday"/ },
    { name: "an unknown stream", init: { stream: 9 as LogStream }, message: /stream 9/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} with invalid_argument`, () => {
      assert.throws(() => toLogReadOptions(req(c.init), now), (err: unknown) => err instanceof CoreError && err.kind === "invalid_argument" && c.message.test(err.message));
    });
  }
});
