/**
 * The gateway's LogService (proto/crigateway/v1/logs.proto) as a plain
 * function: check the request, locate the container's log through the core,
 * read it by the kubelet's rules and batch the lines into ReadLogsResponse
 * messages. The Connect service and the REST route both call it.
 */
import { isUtf8 } from "node:buffer";
import { create } from "@bufbuild/protobuf";
import {
  type LogEntry,
  LogEntrySchema,
  LogStream,
  type ReadLogsRequest,
  type ReadLogsResponse,
  ReadLogsResponseSchema,
} from "../../gen/crigateway/v1/logs_pb.js";
import type { CallContext } from "../core/call-context.js";
import { requireId } from "../core/request-checks.js";
import { log } from "../observability/logger.js";
import { type LogCore, isContainerRunning, locateContainerLog } from "./log-location.js";
import { toLogReadOptions } from "./log-options.js";
import { formatLogTime } from "./log-time.js";
import { type LogLine, readLogFile } from "./read-log-file.js";

/** Serves ReadLogs. */
export interface LogReader {
  /**
   * Stream the logs `request` asks for. Ends quietly when `ctx.signal`
   * aborts. Throws CoreError: invalid_argument for bad options, not_found
   * for an unknown container or a missing file, failed_precondition for a
   * container without a (safe) log path.
   */
  readLogs(request: ReadLogsRequest, ctx: CallContext): AsyncIterable<ReadLogsResponse>;
}

/** Options for {@link createLogReader}. */
export interface LogReaderOptions {
  /** The core to ask for container and sandbox status (the intercepted one). */
  readonly core: LogCore;
  /** Longest wait between looks at a followed file, ms. Default 1000. */
  readonly pollMs?: number;
  /** Current time in epoch nanoseconds (since_seconds). Default the system clock. */
  readonly now?: () => bigint;
}

/** Create the log reader over `core`. */
export function createLogReader({ core, pollMs, now = () => BigInt(Date.now()) * 1_000_000n }: LogReaderOptions): LogReader {
  return {
    async *readLogs(request, ctx) {
      const containerId = requireId(request.containerId, "container_id");
      const options = toLogReadOptions(request, now());
      const location = await locateContainerLog(core, containerId, ctx);
      let malformed = 0;
      const lines = readLogFile({
        location,
        options,
        pollMs,
        signal: ctx.signal,
        isRunning: () => isContainerRunning(core, location.containerId, ctx),
        onMalformed: () => {
          malformed += 1;
        },
      });
      try {
        for await (const batch of lines) {
          yield create(ReadLogsResponseSchema, { entries: batch.map(toLogEntry) });
        }
      } finally {
        if (malformed > 0) log.warn("skipped malformed log lines", { container: location.containerId, lines: malformed });
      }
    },
  };
}

/** The proto entry of a line: `text` when the content is UTF-8, else `raw`. */
export function toLogEntry(line: LogLine): LogEntry {
  return create(LogEntrySchema, {
    time: formatLogTime(line.time),
    stream: line.stream === "stdout" ? LogStream.STDOUT : LogStream.STDERR,
    content: isUtf8(line.content)
      ? { case: "text", value: line.content.toString("utf8") }
      : { case: "raw", value: new Uint8Array(line.content) },
    partial: !line.complete,
  });
}
