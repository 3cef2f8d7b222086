/**
 * The options of a log read (those of `kubectl logs` and the kubelet),
 * checked once and resolved into what the reader needs.
 */
import { LogStream, type ReadLogsRequest } from "../../gen/crigateway/v1/logs_pb.js";
import { CoreError } from "../core/core-error.js";
import { parseLogTime } from "./log-time.js";
import type { LogStreamName } from "./log-line.js";

/** Resolved read options. */
export interface LogReadOptions {
  /** Keep reading until the container exits. */
  readonly follow: boolean;
  /** Lines from the end to start at; -1 reads from the beginning. */
  readonly tailLines: number;
  /** Skip lines older than this (epoch nanoseconds); undefined keeps all. */
  readonly sinceNanos?: bigint;
  /** Prefix each rendered line with its time (counts toward limitBytes). */
  readonly timestamps: boolean;
  /** Stop after this many rendered bytes; -1 is no limit. */
  readonly limitBytes: number;
  /** The streams to keep; undefined keeps both. */
  readonly stream?: LogStreamName;
}

/**
 * Check a ReadLogsRequest's options and resolve them; `nowNanos` anchors
 * since_seconds. Throws CoreError("invalid_argument") naming the field.
 */
export function toLogReadOptions(request: ReadLogsRequest, nowNanos: bigint): LogReadOptions {
  const stream = streamOf(request.stream);
  if (request.tailLines !== undefined && request.tailLines < 0n) {
    throw new CoreError("invalid_argument", "tail_lines must not be negative");
  }
  // The API server refuses the same combination: counting lines of one
  // stream would need reading the whole file.
  if (request.tailLines !== undefined && stream !== undefined) {
    throw new CoreError("invalid_argument", "tail_lines can only be used with stream ALL");
  }
  if (request.limitBytes !== undefined && request.limitBytes <= 0n) {
    throw new CoreError("invalid_argument", "limit_bytes must be greater than 0");
  }
  if (request.sinceSeconds !== undefined && request.sinceSeconds <= 0n) {
    throw new CoreError("invalid_argument", "since_seconds must be greater than 0");
  }
  let sinceNanos: bigint | undefined;
  if (request.sinceSeconds !== undefined) sinceNanos = nowNanos - request.sinceSeconds * 1_000_000_000n;
  if (request.sinceTime !== "") {
    const time = parseLogTime(request.sinceTime);
    if (time === undefined) {
      throw new CoreError("invalid_argument", `since_time "${request.sinceTime}" is not an RFC 3339 time`);
    }
    // As the kubelet: with both, the later one wins.
    if (sinceNanos === undefined || time.nanos > sinceNanos) sinceNanos = time.nanos;
  }
  return {
    follow: request.follow,
    tailLines: request.tailLines === undefined ? -1 : clampToNumber(request.tailLines),
    sinceNanos,
    timestamps: request.timestamps,
    limitBytes: request.limitBytes === undefined ? -1 : clampToNumber(request.limitBytes),
    stream,
  };
}

function streamOf(stream: LogStream): LogStreamName | undefined {
  switch (stream) {
    case LogStream.UNSPECIFIED:
    case LogStream.ALL:
      return undefined;
    case LogStream.STDOUT:
      return "stdout";
    case LogStream.STDERR:
      return "stderr";
    default:
      throw new CoreError("invalid_argument", `stream ${stream} is not one of ALL, STDOUT, STDERR`);
  }
}

function clampToNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}
