/**
 * A small structured logger: one JSON object per line on stderr, so logs are
 * easy to grep and to ship. Levels below the configured one cost a compare.
 */

/** Log levels, most verbose first. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** Fields attached to a log line. Never put tokens or other secrets here. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Change the threshold, e.g. from `--log-level`. */
  setLevel(level: LogLevel): void;
}

/** Create a logger writing to `write` (default: stderr). */
export function createLogger({
  level = (process.env.CRI_GATEWAY_LOG_LEVEL as LogLevel | undefined) ?? "info",
  write = (line: string) => process.stderr.write(line),
}: { level?: LogLevel; write?: (line: string) => void } = {}): Logger {
  let threshold = rank[level] ?? rank.info;
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (rank[lvl] < threshold) return;
    const line: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, msg };
    // A field never overwrites time, level or msg.
    if (fields !== undefined) for (const key in fields) if (!(key in line)) line[key] = fields[key];
    write(`${JSON.stringify(line)}\n`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    setLevel: (l) => {
      threshold = rank[l];
    },
  };
}

/** The process-wide logger. */
export const log: Logger = createLogger();
