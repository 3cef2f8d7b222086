import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatCriWriteTime, formatLogTime, parseLogTime } from "./log-time.js";

describe("log times", () => {
  const cases: { name: string; input: string; printed: string }[] = [
    { name: "keeps nanoseconds", input: "2016-10-06T00:17:09.669794202Z", printed: "2016-10-06T00:17:09.669794202Z" },
    { name: "pads a short fraction to nine digits", input: "2016-10-06T00:17:09.5Z", printed: "2016-10-06T00:17:09.500000000Z" },
    { name: "accepts no fraction", input: "2016-10-06T00:17:09Z", printed: "2016-10-06T00:17:09.000000000Z" },
    { name: "prints in the offset it was written in", input: "2016-10-06T02:17:09.1+02:00", printed: "2016-10-06T02:17:09.100000000+02:00" },
    { name: "handles negative offsets across midnight", input: "2016-10-05T23:30:00-01:30", printed: "2016-10-05T23:30:00.000000000-01:30" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const time = parseLogTime(c.input);
      assert.ok(time !== undefined);
      assert.equal(formatLogTime(time), c.printed);
    });
  }

  it("orders instants regardless of offset", () => {
    const utc = parseLogTime("2016-10-06T00:17:09Z");
    const plus = parseLogTime("2016-10-06T02:17:09+02:00");
    assert.equal(utc?.nanos, plus?.nanos);
  });

  for (const bad of ["", "2016-10-06", "2016-10-06 00:17:09Z", "2016-02-30T00:00:00Z", "2016-10-06T00:17:09.1234567890Z", "2016-10-06T24:00:00Z"]) {
    it(`refuses "${bad}"`, () => assert.equal(parseLogTime(bad), undefined));
  }

  it("writes RFC3339Nano as runtimes do: trailing zeros dropped", () => {
    const nanos = parseLogTime("2016-10-06T00:17:09.669794200Z")?.nanos ?? 0n;
    assert.equal(formatCriWriteTime(nanos), "2016-10-06T00:17:09.6697942Z");
    assert.equal(formatCriWriteTime((nanos / 1_000_000_000n) * 1_000_000_000n), "2016-10-06T00:17:09Z");
  });
});
