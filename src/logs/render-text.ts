/**
 * Log entries as `kubectl logs` prints them: the content, its line break,
 * and with `timestamps` the time and a space in front.
 */
import type { LogEntry } from "../../gen/crigateway/v1/logs_pb.js";

/** The bytes kubectl would print for `entry`. */
export function renderLogText(entry: LogEntry, timestamps: boolean): Buffer {
  const content =
    entry.content.case === "text"
      ? Buffer.from(entry.content.value, "utf8")
      : entry.content.case === "raw"
        ? Buffer.from(entry.content.value)
        : Buffer.alloc(0);
  const parts = [content];
  if (timestamps) parts.unshift(Buffer.from(`${entry.time} `));
  if (!entry.partial) parts.push(Buffer.from("\n"));
  return Buffer.concat(parts);
}
