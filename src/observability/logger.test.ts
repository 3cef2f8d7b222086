import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "./logger.js";

describe("createLogger", () => {
  it("writes one JSON object per line with time, level, msg and the fields", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", write: (l) => lines.push(l) });
    log.info("started", { port: 7070 });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]?.endsWith("\n"));
    const entry = JSON.parse(lines[0] as string);
    assert.equal(entry.level, "info");
    assert.equal(entry.msg, "started");
    assert.equal(entry.port, 7070);
    assert.ok(!Number.isNaN(Date.parse(entry.time)));
  });

  it("drops lines below the threshold and follows setLevel", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "warn", write: (l) => lines.push(l) });
    log.info("quiet");
    log.warn("loud");
    log.setLevel("silent");
    log.error("muted");
    assert.deepEqual(lines.map((l) => JSON.parse(l).msg), ["loud"]);
  });

  it("never lets a field overwrite time, level or msg", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "debug", write: (l) => lines.push(l) });
    log.error("real", { msg: "forged", level: "debug", time: "yesterday" });
    const entry = JSON.parse(lines[0] as string);
    assert.equal(entry.msg, "real");
    assert.equal(entry.level, "error");
    assert.notEqual(entry.time, "yesterday");
  });
});
