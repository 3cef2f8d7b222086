/**
 * Reads one container's log file by the kubelet's rules and yields its lines
 * in batches: tail, since, stream and byte limits, partial (P) records
 * joined back into lines, and — when following — waiting for writes,
 * switching to the new file after a ReopenContainerLog rotation (once the
 * old one is read to its end) and ending when the container no longer runs.
 *
 * Memory is bounded: the file is read in 64 KiB blocks, and a line longer
 * than `maxLineBytes` is split (joined parts) or skipped (a single file line).
 */
import type { FileHandle } from "node:fs/promises";
import { lstat } from "node:fs/promises";
import { CoreError } from "../core/core-error.js";
import { createFileWatch, type FileWatch } from "./file-watch.js";
import { type LogLocation, codeOf, openLogFile } from "./log-file.js";
import { type LineParser, type LogRecord, type LogStreamName, chooseLineParser } from "./log-line.js";
import type { LogReadOptions } from "./log-options.js";
import { type LogTime, formatLogTime } from "./log-time.js";
import { findTailStart } from "./tail-start.js";

/** One line as the reader hands it out. */
export interface LogLine {
  readonly time: LogTime;
  readonly stream: LogStreamName;
  /** The content without its line break. */
  readonly content: Buffer;
  /** False when the line does not end here (cut by the limit, unfinished, or split for length). */
  readonly complete: boolean;
}

/** What {@link readLogFile} needs. */
export interface ReadLogFileOptions {
  readonly location: LogLocation;
  readonly options: LogReadOptions;
  /** Whether the container still runs; asked at each end of file while following. */
  readonly isRunning: () => Promise<boolean>;
  /** Ends the read (the generator returns quietly). */
  readonly signal: AbortSignal;
  /** Longest wait for a change before looking again, in ms. Default 1000 (the kubelet's period). */
  readonly pollMs?: number;
  /** Longest line kept whole, in bytes. Default 1 MiB. */
  readonly maxLineBytes?: number;
  /** Told about each line that does not parse (it is skipped). */
  readonly onMalformed?: (reason: string) => void;
}

const blockBytes = 64 * 1024;
const newline = 0x0a;
const empty = Buffer.alloc(0);

interface Pending {
  readonly time: LogTime;
  readonly parts: Buffer[];
  size: number;
}

/**
 * Read the log. Each yielded batch holds the lines parsed from one block
 * (never empty). Throws CoreError from {@link openLogFile}, and
 * failed_precondition when the file is in no format the kubelet reads.
 */
export async function* readLogFile({
  location,
  options,
  isRunning,
  signal,
  pollMs = 1000,
  maxLineBytes = 1024 * 1024,
  onMalformed = () => {},
}: ReadLogFileOptions): AsyncGenerator<LogLine[], void, undefined> {
  let file: FileHandle = await openLogFile(location);
  let watch: FileWatch | undefined;
  try {
    let fileIno = (await file.stat()).ino;
    const size = (await file.stat()).size;
    let position = await findTailStart(file, size, options.tailLines);
    // Without follow, read what the file held when the call came.
    const end = options.follow ? Number.POSITIVE_INFINITY : size;
    let parse: LineParser | undefined;
    let carry: Buffer = empty;
    let skipping = false;
    const pending = new Map<LogStreamName, Pending>();
    let remain = options.limitBytes < 0 ? Number.POSITIVE_INFINITY : options.limitBytes;
    let done = false;
    let out: LogLine[] = [];
    let running = true;
    let switching = false;

    const emit = (time: LogTime, stream: LogStreamName, content: Buffer, complete: boolean): void => {
      if (done) return;
      if (options.sinceNanos !== undefined && time.nanos < options.sinceNanos) return;
      if (options.stream !== undefined && stream !== options.stream) return;
      // limitBytes counts the text rendering, as the kubelet's writer does.
      const prefix = options.timestamps ? formatLogTime(time).length + 1 : 0;
      const rendered = prefix + content.length + (complete ? 1 : 0);
      if (rendered > remain) {
        const room = Math.max(0, remain - prefix);
        content = content.subarray(0, Math.min(room, content.length));
        complete = false;
        remain = 0;
      } else {
        remain -= rendered;
      }
      out.push({ time, stream, content, complete });
      if (remain <= 0) done = true;
    };

    const flushPending = (stream: LogStreamName): void => {
      const p = pending.get(stream);
      if (p === undefined) return;
      pending.delete(stream);
      emit(p.time, stream, Buffer.concat(p.parts, p.size), false);
    };

    const onRecord = (record: LogRecord): void => {
      const p = pending.get(record.stream);
      if (record.partial) {
        if (p === undefined) pending.set(record.stream, { time: record.time, parts: [record.content], size: record.content.length });
        else {
          p.parts.push(record.content);
          p.size += record.content.length;
        }
        if ((pending.get(record.stream) as Pending).size >= maxLineBytes) flushPending(record.stream);
        return;
      }
      let content = record.content;
      const complete = content.length > 0 && content[content.length - 1] === newline;
      if (complete) content = content.subarray(0, content.length - 1);
      if (p === undefined) {
        emit(record.time, record.stream, content, complete);
      } else {
        pending.delete(record.stream);
        emit(p.time, record.stream, Buffer.concat([...p.parts, content], p.size + content.length), complete);
      }
    };

    const onLine = (line: Buffer): void => {
      if (parse === undefined) {
        parse = chooseLineParser(line);
        if (parse === undefined) {
          throw new CoreError(
            "failed_precondition",
            `log file of container "${location.containerId}" is in an unsupported format`,
          );
        }
      }
      const record = parse(line);
      if (typeof record === "string") onMalformed(record);
      else onRecord(record);
    };

    const onBlock = (block: Buffer): void => {
      let start = 0;
      while (!done) {
        const at = block.indexOf(newline, start);
        if (at < 0) {
          const rest = block.subarray(start);
          if (skipping) break;
          carry = carry.length === 0 ? Buffer.from(rest) : Buffer.concat([carry, rest]);
          if (carry.length > maxLineBytes) {
            onMalformed(`line longer than ${maxLineBytes} bytes`);
            carry = empty;
            skipping = true;
          }
          break;
        }
        const piece = block.subarray(start, at + 1);
        start = at + 1;
        if (skipping) {
          skipping = false;
          continue;
        }
        // Copied: the block buffer is reused for the next read.
        const line = carry.length === 0 ? Buffer.from(piece) : Buffer.concat([carry, piece]);
        carry = empty;
        onLine(line);
      }
    };

    /** End of what there is to read: the unfinished last line and joined parts go out unfinished. */
    const finish = (): void => {
      if (carry.length > 0 && !skipping) onLine(carry);
      carry = empty;
      for (const stream of [...pending.keys()]) flushPending(stream);
    };

    const buf = Buffer.alloc(blockBytes);
    while (!done && !signal.aborted) {
      const want = Math.min(buf.length, end - position);
      const bytesRead = want > 0 ? (await file.read(buf, 0, want, position)).bytesRead : 0;
      if (bytesRead > 0) {
        position += bytesRead;
        onBlock(buf.subarray(0, bytesRead));
        if (out.length > 0) {
          yield out;
          out = [];
        }
        continue;
      }
      if (!options.follow) break;
      if (switching) {
        // The old file is read to its end: go on with the new one.
        switching = false;
        const next = await openLogFile(location).catch((err: unknown) => {
          if (err instanceof CoreError && err.kind === "not_found") return undefined;
          throw err;
        });
        if (next !== undefined) {
          if (carry.length > 0 && !skipping) onLine(carry);
          carry = empty;
          skipping = false;
          await file.close();
          file = next;
          fileIno = (await file.stat()).ino;
          position = 0;
          continue;
        }
      }
      // A different file at the path: the runtime reopened its log after a
      // rename. Read the old one once more (writes may have landed since the
      // last read), then switch.
      const now = await lstat(location.path).catch((err: unknown) => {
        if (codeOf(err) === "ENOENT") return undefined;
        throw err;
      });
      if (now !== undefined && now.ino !== fileIno) {
        switching = true;
        continue;
      }
      if (!running) break;
      running = await isRunning();
      if (!running) continue; // one more pass drains what the container wrote last
      if (watch === undefined) {
        // Look once more after the watch exists, so no write falls between.
        watch = createFileWatch(location.path, { pollMs });
        continue;
      }
      await watch.next(signal);
    }
    if (signal.aborted) return;
    finish();
    if (out.length > 0) yield out;
  } finally {
    watch?.close();
    await file.close().catch(() => {});
  }
}
