import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as nextTick, setTimeout as delay } from "node:timers/promises";
import { after, describe, it } from "node:test";
import { CoreError } from "../core/core-error.js";
import type { LogReadOptions } from "./log-options.js";
import { formatLogTime } from "./log-time.js";
import { type LogLine, readLogFile } from "./read-log-file.js";

const root = mkdtempSync(join(tmpdir(), "cri-logs-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A fresh pod log directory with `text` as the container's log file. */
function logFile(text: string): { directory: string; path: string } {
  const directory = join(root, `pod-${++n}`);
  mkdirSync(join(directory, "app"), { recursive: true });
  const path = join(directory, "app", "0.log");
  writeFileSync(path, text);
  return { directory, path };
}

const base: LogReadOptions = { follow: false, tailLines: -1, timestamps: false, limitBytes: -1 };

async function readAll(
  file: { directory: string; path: string },
  options: Partial<LogReadOptions> = {},
  extra: { isRunning?: () => Promise<boolean>; signal?: AbortSignal; pollMs?: number } = {},
): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const batch of readLogFile({
    location: { containerId: "c1", ...file },
    options: { ...base, ...options },
    isRunning: extra.isRunning ?? (async () => false),
    signal: extra.signal ?? new AbortController().signal,
    pollMs: extra.pollMs ?? 50,
  })) {
    lines.push(...batch);
  }
  return lines;
}

const texts = (lines: LogLine[]) => lines.map((l) => l.content.toString());
const t = (s: number) => `2024-05-01T10:00:0${s}.000000001Z`;

describe("readLogFile", () => {
  it("reads full lines without their line breaks, in file order, with streams", async () => {
    const lines = await readAll(logFile(`${t(1)} stdout F one\n${t(2)} stderr F two\n`));
    assert.deepEqual(texts(lines), ["one", "two"]);
    assert.deepEqual(lines.map((l) => l.stream), ["stdout", "stderr"]);
    assert.ok(lines.every((l) => l.complete));
  });

  it("joins partial records with the following parts of the same stream until a full one", async () => {
    const lines = await readAll(
      logFile(`${t(1)} stdout P hel\n${t(2)} stderr F err\n${t(3)} stdout P lo \n${t(4)} stdout F world\n`),
    );
    assert.deepEqual(texts(lines), ["err", "hello world"]);
    // The joined line carries the time of its first part, as kubectl prints one prefix for it.
    assert.equal(formatLogTime(lines[1]?.time ?? { nanos: 0n, offsetMinutes: 0 }), t(1));
  });

  it("skips malformed lines and keeps reading", async () => {
    const lines = await readAll(
      logFile(`${t(1)} stdout F a\nnot a log line\n${t(2)} stdnil F b\n2024-13-01T00:00:00Z stdout F c\n${t(3)} stdout\n${t(4)} stdout F d\n`),
    );
    assert.deepEqual(texts(lines), ["a", "d"]);
  });

  it("refuses a file whose first line is in no known format", async () => {
    await assert.rejects(readAll(logFile("garbage\n")), (err: unknown) => err instanceof CoreError && err.kind === "failed_precondition");
  });

  it("reads Docker json-file logs too, as the kubelet does", async () => {
    const lines = await readAll(logFile(`{"log":"hi\\n","stream":"stderr","time":"${t(1)}"}\n`));
    assert.deepEqual(texts(lines), ["hi"]);
    assert.equal(lines[0]?.stream, "stderr");
  });

  it("tails file lines from the end; an unfinished last line does not count", async () => {
    const file = logFile(`${t(1)} stdout F a\n${t(2)} stdout F b\n${t(3)} stdout F c\n${t(4)} stdout F unfinished`);
    assert.deepEqual(texts(await readAll(file, { tailLines: 2 })), ["b", "c", "unfinished"]);
    assert.deepEqual(texts(await readAll(file, { tailLines: 0 })), ["unfinished"]);
    assert.deepEqual(texts(await readAll(file, { tailLines: 10 })), ["a", "b", "c", "unfinished"]);
    const last = (await readAll(file, { tailLines: 0 }))[0];
    assert.equal(last?.complete, false);
  });

  it("tails across many blocks of a large file", async () => {
    const many = Array.from({ length: 20_000 }, (_, i) => `${t(1)} stdout F line ${i}\n`).join("");
    assert.deepEqual(texts(await readAll(logFile(many), { tailLines: 3 })), ["line 19997", "line 19998", "line 19999"]);
  });

  it("drops lines older than since", async () => {
    const file = logFile(`${t(1)} stdout F old\n${t(2)} stdout F edge\n${t(3)} stdout F new\n`);
    const since = (await readAll(file))[1]?.time.nanos;
    assert.deepEqual(texts(await readAll(file, { sinceNanos: since })), ["edge", "new"]);
  });

  it("keeps one stream when asked", async () => {
    const file = logFile(`${t(1)} stdout F out\n${t(2)} stderr F err\n`);
    assert.deepEqual(texts(await readAll(file, { stream: "stderr" })), ["err"]);
    assert.deepEqual(texts(await readAll(file, { stream: "stdout" })), ["out"]);
  });

  it("stops at limitBytes counted on the text rendering, cutting the last line", async () => {
    const file = logFile(`${t(1)} stdout F abc\n${t(2)} stdout F defgh\n${t(3)} stdout F never\n`);
    // "abc\n" is 4 bytes; 3 more leave "def".
    const lines = await readAll(file, { limitBytes: 7 });
    assert.deepEqual(texts(lines), ["abc", "def"]);
    assert.deepEqual(lines.map((l) => l.complete), [true, false]);
    // With timestamps the prefix (30 + 1 bytes) counts too.
    const stamped = await readAll(file, { limitBytes: 31 + 4 + 31 + 2, timestamps: true });
    assert.deepEqual(texts(stamped), ["abc", "de"]);
    // Exactly the first line: it ends complete, nothing more.
    assert.deepEqual(texts(await readAll(file, { limitBytes: 4 })), ["abc"]);
  });

  it("refuses a symbolic link as the log file and a path outside the log directory", async () => {
    const file = logFile(`${t(1)} stdout F secret\n`);
    const link = join(file.directory, "app", "1.log");
    symlinkSync(file.path, link);
    await assert.rejects(readAll({ directory: file.directory, path: link }), /symbolic link/);
    const other = logFile(`${t(1)} stdout F other pod\n`);
    await assert.rejects(readAll({ directory: file.directory, path: other.path }), /outside its pod's log directory/);
    await assert.rejects(readAll({ directory: file.directory, path: join(file.directory, "..", `pod-${n}`, "app", "0.log") }), /outside/);
    await assert.rejects(readAll({ directory: file.directory, path: join(file.directory, "app", "9.log") }), (err: unknown) => err instanceof CoreError && err.kind === "not_found");
  });

  it("refuses a directory on the way that links out of the log directory", async () => {
    const file = logFile(`${t(1)} stdout F elsewhere\n`);
    const victim = logFile(`${t(1)} stdout F victim\n`);
    symlinkSync(join(victim.directory, "app"), join(file.directory, "sneaky"));
    await assert.rejects(readAll({ directory: file.directory, path: join(file.directory, "sneaky", "0.log") }), /outside/);
  });

  it("follows writes, then drains and ends once the container has exited", async () => {
    const file = logFile(`${t(1)} stdout F first\n`);
    let running = true;
    const seen: string[] = [];
    const reading = (async () => {
      for await (const batch of readLogFile({
        location: { containerId: "c1", ...file },
        options: { ...base, follow: true },
        isRunning: async () => running,
        signal: new AbortController().signal,
        pollMs: 50,
      })) {
        seen.push(...texts(batch));
      }
    })();
    await waitFor(() => seen.length === 1);
    appendFileSync(file.path, `${t(2)} stdout P sec`);
    appendFileSync(file.path, `ond \n`);
    await delay(30);
    appendFileSync(file.path, `${t(3)} stdout F part\n`);
    await waitFor(() => seen.length === 2);
    assert.deepEqual(seen, ["first", "second part"]);
    // The container writes its last line and exits: the follow reads it and ends.
    appendFileSync(file.path, `${t(4)} stdout F last words\n`);
    running = false;
    await reading;
    assert.deepEqual(seen, ["first", "second part", "last words"]);
  });

  it("follows across a rotation: reads the renamed file to its end, then the new one", async () => {
    const file = logFile(`${t(1)} stdout F before\n`);
    let running = true;
    const seen: string[] = [];
    const reading = (async () => {
      for await (const batch of readLogFile({
        location: { containerId: "c1", ...file },
        options: { ...base, follow: true },
        isRunning: async () => running,
        signal: new AbortController().signal,
        pollMs: 50,
      })) {
        seen.push(...texts(batch));
      }
    })();
    await waitFor(() => seen.length === 1);
    // The kubelet renames the file; the runtime still writes the old one until it reopens.
    renameSync(file.path, `${file.path}.20240501-100000`);
    appendFileSync(`${file.path}.20240501-100000`, `${t(2)} stdout F late in old\n`);
    writeFileSync(file.path, `${t(3)} stdout F in new\n`);
    await waitFor(() => seen.length === 3);
    appendFileSync(file.path, `${t(4)} stdout F more in new\n`);
    await waitFor(() => seen.length === 4);
    running = false;
    await reading;
    assert.deepEqual(seen, ["before", "late in old", "in new", "more in new"]);
  });

  it("leaves no watcher or timer behind when the client goes away mid-follow", async () => {
    const before = countResources();
    const file = logFile(`${t(1)} stdout F x\n`);
    const controller = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const batch of readLogFile({
        location: { containerId: "c1", ...file },
        options: { ...base, follow: true },
        isRunning: async () => true,
        signal: controller.signal,
        pollMs: 10_000,
      })) {
        seen.push(...texts(batch));
      }
    })();
    await waitFor(() => seen.length === 1);
    await delay(50);
    assert.ok(countResources().FSEventWrap > (before.FSEventWrap ?? 0), "the follow watches the directory");
    controller.abort();
    await reading;
    await nextTick();
    await nextTick();
    const now = countResources();
    assert.equal(now.FSEventWrap ?? 0, before.FSEventWrap ?? 0);
    assert.equal(now.Timeout ?? 0, before.Timeout ?? 0);
  });

  it("does not wait at all without follow, whatever the container does", async () => {
    const file = logFile(`${t(1)} stdout F a\n${t(2)} stdout P unjoined`);
    const lines = await readAll(file, {}, { isRunning: async () => assert.fail("not asked without follow") });
    assert.deepEqual(texts(lines), ["a", "unjoined"]);
    assert.equal(lines[1]?.complete, false);
  });
});

function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await delay(10);
  }
}
