/**
 * HPACK (RFC 7541) header blocks for the `:authority` fix: a decoder that keeps
 * a mirror of the client's dynamic table, and a stateless encoder that writes
 * blocks using only "literal without indexing", so whatever we write never
 * changes the server's decoder table.
 */
import hpack from "hpack.js";

/** One decoded header field. Names and values are latin1 strings (one char per octet). */
export interface HeaderField {
  name: string;
  value: string;
  /** The client asked intermediaries never to index this field (RFC 7541 §6.2.3). */
  neverIndex: boolean;
}

/** What one header block held. */
export interface DecodedHeaderBlock {
  /** The fields in wire order; empty when `oversized` is true. */
  fields: HeaderField[];
  /** Dynamic table size updates from the start of the block, in order. */
  tableSizeUpdates: number[];
  /**
   * The decoded header list was larger than `maxListSize`. The block was still
   * decoded to the end (the table must stay in step with the client), but its
   * fields were dropped so a tiny block of indexed references cannot make us
   * hold megabytes.
   */
  oversized: boolean;
}

/** Decodes the header blocks of one connection, in order. */
export interface HeaderBlockDecoder {
  /**
   * Decode one complete header block (all HEADERS + CONTINUATION fragments
   * joined). Throws an Error on malformed input; the table is then out of
   * step with the client and the decoder must not be used again.
   */
  decode(block: Buffer): DecodedHeaderBlock;
}

/** HTTP/2's default SETTINGS_HEADER_TABLE_SIZE, which is also Node's. */
export const defaultHeaderTableSize = 4096;

/** Node's default SETTINGS_MAX_HEADER_LIST_SIZE. */
export const defaultMaxHeaderListSize = 65535;

/**
 * Create a decoder for the header blocks one client sends on one connection.
 *
 * `tableSize` must equal the SETTINGS_HEADER_TABLE_SIZE the server advertises
 * (default 4096), since that is the largest table the client may use.
 * `maxListSize` bounds the decoded list the way SETTINGS_MAX_HEADER_LIST_SIZE
 * does: name + value + 32 octets per field.
 */
export function createHeaderBlockDecoder({
  tableSize = defaultHeaderTableSize,
  maxListSize = defaultMaxHeaderListSize,
}: { tableSize?: number; maxListSize?: number } = {}): HeaderBlockDecoder {
  const table = hpack.table.create({ maxSize: tableSize });
  return {
    decode(block) {
      const decoder = hpack.decoder.create();
      decoder.push(block);
      const fields: HeaderField[] = [];
      const tableSizeUpdates: number[] = [];
      let listSize = 0;
      let oversized = false;
      let sawField = false;
      const emit = (name: string, value: string, neverIndex: boolean) => {
        sawField = true;
        listSize += name.length + value.length + 32;
        if (listSize > maxListSize) {
          oversized = true;
          fields.length = 0;
        }
        if (!oversized) fields.push({ name, value, neverIndex });
      };
      try {
        while (!decoder.isEmpty()) {
          // Representations, RFC 7541 §6: 1xxxxxxx indexed; 01xxxxxx literal
          // with incremental indexing; 001xxxxx table size update; 0001xxxx
          // never indexed; 0000xxxx without indexing.
          if (decoder.decodeBit() === 1) {
            const entry = table.lookup(decoder.decodeInt());
            emit(entry.name, entry.value, false);
            continue;
          }
          const incremental = decoder.decodeBit() === 1;
          let neverIndex = false;
          if (!incremental) {
            if (decoder.decodeBit() === 1) {
              // §4.2: a size update is only allowed before the first field.
              if (sawField) throw new Error("dynamic table size update after a header field");
              const size = decoder.decodeInt();
              table.updateSize(size);
              tableSizeUpdates.push(size);
              continue;
            }
            neverIndex = decoder.decodeBit() === 1;
          }
          const index = decoder.decodeInt();
          const name = index === 0 ? toLatin1(decoder.decodeStr()) : table.lookup(index).name;
          const value = toLatin1(decoder.decodeStr());
          if (incremental) table.add(name, value, name.length, value.length);
          emit(name, value, neverIndex);
        }
      } catch (err: unknown) {
        throw new Error(`invalid HPACK header block: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
      return { fields, tableSizeUpdates, oversized };
    },
  };
}

/**
 * Encode fields as one header block that uses no table state: each field is a
 * "literal without indexing" (or "never indexed" when the client asked so)
 * with a literal name and no Huffman coding. `tableSizeUpdates` are written
 * first, as RFC 7541 §4.2 requires.
 */
export function encodeHeaderBlock(fields: readonly HeaderField[], tableSizeUpdates: readonly number[] = []): Buffer {
  let size = 0;
  for (const update of tableSizeUpdates) size += intSize(5, update);
  for (const { name, value } of fields) {
    size += 1 + intSize(7, name.length) + name.length + intSize(7, value.length) + value.length;
  }
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const update of tableSizeUpdates) offset = writeInt(out, offset, 5, 0x20, update);
  for (const { name, value, neverIndex } of fields) {
    // 0x00 = without indexing, 0x10 = never indexed; name index 0 = literal name.
    out[offset++] = neverIndex ? 0x10 : 0x00;
    offset = writeInt(out, offset, 7, 0x00, name.length);
    offset += out.write(name, offset, "latin1");
    offset = writeInt(out, offset, 7, 0x00, value.length);
    offset += out.write(value, offset, "latin1");
  }
  return out;
}

function toLatin1(octets: ArrayLike<number>): string {
  return Buffer.isBuffer(octets) ? octets.toString("latin1") : hpack.utils.stringify(octets);
}

/** Octets taken by `value` as an HPACK integer with an N-bit prefix (RFC 7541 §5.1). */
function intSize(prefixBits: number, value: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) return 1;
  let size = 2;
  for (let rest = value - max; rest >= 0x80; rest = Math.floor(rest / 0x80)) size++;
  return size;
}

function writeInt(out: Buffer, offset: number, prefixBits: number, flags: number, value: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[offset++] = flags | value;
    return offset;
  }
  out[offset++] = flags | max;
  let rest = value - max;
  while (rest >= 0x80) {
    out[offset++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[offset++] = rest;
  return offset;
}
