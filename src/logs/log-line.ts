/**
 * One line of a container log file, parsed by the kubelet's rules
 * (pkg/kubelet/kuberuntime/logs): the CRI format
 * `2016-10-06T00:17:09.669794202Z stdout F content`, and the Docker
 * json-file format the kubelet also accepts. A log file's first line picks
 * the format; lines that do not parse are skipped.
 */
import { type LogTime, parseLogTime } from "./log-time.js";

/** A container's output stream. */
export type LogStreamName = "stdout" | "stderr";

/** One record of the file. */
export interface LogRecord {
  readonly time: LogTime;
  readonly stream: LogStreamName;
  /** Content; for a full (F) record it keeps its trailing newline when the file line had one. */
  readonly content: Buffer;
  /** True for a partial (P) record: the line goes on in the next record of its stream. */
  readonly partial: boolean;
}

/** Parses one file line (with or without its `\n`); returns an error message instead of throwing. */
export type LineParser = (line: Buffer) => LogRecord | string;

const space = 0x20;
const newline = 0x0a;

/**
 * Parse a CRI-format line. The tag field may carry more tags after a `:`
 * (forward compatible); only the first decides full or partial. A partial
 * record loses the newline that ends its file line.
 */
export function parseCriLine(line: Buffer): LogRecord | string {
  const a = line.indexOf(space);
  if (a < 0) return "timestamp is not found";
  const time = parseLogTime(line.toString("latin1", 0, a));
  if (time === undefined) return "unexpected timestamp format";
  const b = line.indexOf(space, a + 1);
  if (b < 0) return "stream type is not found";
  const stream = line.toString("latin1", a + 1, b);
  if (stream !== "stdout" && stream !== "stderr") return `unexpected stream type "${stream}"`;
  const c = line.indexOf(space, b + 1);
  if (c < 0) return "log tag is not found";
  const tag = line.toString("latin1", b + 1, c).split(":")[0];
  const partial = tag === "P";
  let end = line.length;
  if (partial && end > 0 && line[end - 1] === newline) end -= 1;
  return { time, stream, content: line.subarray(c + 1, end), partial };
}

/** Parse a Docker json-file line: `{"log":"…","stream":"stdout","time":"…"}`. */
export function parseDockerJsonLine(line: Buffer): LogRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(line.toString("utf8"));
  } catch {
    return "not a JSON log line";
  }
  if (typeof value !== "object" || value === null) return "not a JSON log line";
  const { log, stream, time } = value as Record<string, unknown>;
  const parsed = typeof time === "string" ? parseLogTime(time) : undefined;
  if (parsed === undefined) return "unexpected timestamp format";
  if (stream !== "stdout" && stream !== "stderr") return `unexpected stream type "${String(stream)}"`;
  return { time: parsed, stream, content: Buffer.from(typeof log === "string" ? log : "", "utf8"), partial: false };
}

/**
 * The parser for a file whose first line is `line`, as the kubelet chooses:
 * CRI first, then Docker JSON. Undefined when neither parses it.
 */
export function chooseLineParser(line: Buffer): LineParser | undefined {
  for (const parse of [parseCriLine, parseDockerJsonLine]) {
    if (typeof parse(line) !== "string") return parse;
  }
  return undefined;
}
