/**
 * Log timestamps as the kubelet reads and writes them: parsed leniently
 * (RFC 3339 with optional fractional seconds, any offset) and printed with
 * exactly nine fractional digits in the offset they were written with, so
 * `--timestamps` output matches the kubelet's byte for byte.
 */

/** A parsed timestamp: epoch nanoseconds plus the offset it was written in. */
export interface LogTime {
  /** Nanoseconds since the Unix epoch (UTC). */
  readonly nanos: bigint;
  /** Offset from UTC in minutes, as written (0 prints as `Z`). */
  readonly offsetMinutes: number;
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parse an RFC 3339 timestamp with up to nine fractional digits (Go's
 * RFC3339NanoLenient). Returns undefined when `text` is not one.
 */
export function parseLogTime(text: string): LogTime | undefined {
  const m = rfc3339.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const fraction = BigInt((m[7] ?? "").padEnd(9, "0"));
  const wallMs = Date.UTC(year, month - 1, day, hour, minute, second);
  const nanos = (BigInt(wallMs) - BigInt(offsetMinutes) * 60_000n) * 1_000_000n + fraction;
  return { nanos, offsetMinutes };
}

/**
 * Format as the kubelet prints `--timestamps` (Go's RFC3339NanoFixed):
 * `2016-10-06T00:17:09.669794202Z`, or `…+02:00` in the written offset.
 */
export function formatLogTime({ nanos, offsetMinutes }: LogTime): string {
  const local = nanos + BigInt(offsetMinutes) * 60_000_000_000n;
  const ms = floorDiv(local, 1_000_000n);
  const fraction = local - floorDiv(local, 1_000_000_000n) * 1_000_000_000n;
  const date = new Date(Number(ms)).toISOString().slice(0, 19);
  const zone =
    offsetMinutes === 0
      ? "Z"
      : `${offsetMinutes < 0 ? "-" : "+"}${pad2(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad2(Math.abs(offsetMinutes) % 60)}`;
  return `${date}.${fraction.toString().padStart(9, "0")}${zone}`;
}

/**
 * Format epoch nanoseconds as a runtime writes them into a CRI log file
 * (Go's RFC3339Nano, UTC: trailing fractional zeros dropped).
 */
export function formatCriWriteTime(nanos: bigint): string {
  const fixed = formatLogTime({ nanos, offsetMinutes: 0 });
  return fixed.replace(/\.?0+Z$/, "Z");
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}
