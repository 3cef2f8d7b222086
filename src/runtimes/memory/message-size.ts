/**
 * Cheap upper bounds on the protobuf-encoded size of message parts, so that
 * Stream* chunks can be cut under the message limit without encoding every
 * item twice. Every figure assumes the widest varints, so it never undercounts.
 */

/** Tag plus the widest length prefix of a field (1 + 5 bytes). */
export const fieldOverhead = 6;
/** An int64/enum/bool field at its widest (tag + 10-byte varint). */
export const varintFieldSize = 11;

/** A string field: overhead plus its UTF-8 bytes (exact for ASCII, 3×length otherwise). */
export function sizeOfString(text: string): number {
  if (text === "") return 0;
  return fieldOverhead + utf8Bound(text);
}

/** A `map<string, string>` field. */
export function sizeOfStringMap(map: Readonly<Record<string, string>> | undefined): number {
  if (map === undefined) return 0;
  let total = 0;
  for (const key in map) {
    total += fieldOverhead + sizeOfString(key) + sizeOfString(map[key] as string);
  }
  return total;
}

/** A `repeated string` field. */
export function sizeOfStrings(list: readonly string[]): number {
  let total = 0;
  for (const item of list) total += fieldOverhead + utf8Bound(item);
  return total;
}

// UTF-16 code units never take more than 3 UTF-8 bytes; ASCII takes one.
function utf8Bound(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return text.length * 3;
  }
  return text.length;
}
