/**
 * Types for the parts of the `hpack.js` package (plain JS, no bundled types)
 * that the server uses: the bit-level decoder, the header table and, in tests,
 * the stream compressor. Only what we call is declared.
 */
declare module "hpack.js" {
  import type { Duplex } from "node:stream";

  namespace hpack {
    /** Reads HPACK primitives (RFC 7541 §5) from pushed bytes; throws on short input. */
    interface Decoder {
      push(chunk: Buffer): void;
      isEmpty(): boolean;
      decodeBit(): number;
      decodeInt(): number;
      /** Raw or Huffman-decoded octets of one string literal. */
      decodeStr(): ArrayLike<number>;
    }

    interface TableEntry {
      name: string;
      value: string;
      nameSize: number;
      totalSize: number;
    }

    /** Static + dynamic table; `maxSize` is the protocol maximum (SETTINGS_HEADER_TABLE_SIZE). */
    interface Table {
      readonly size: number;
      readonly maxSize: number;
      lookup(index: number): TableEntry;
      add(name: string, value: string, nameSize: number, valueSize: number): void;
      updateSize(size: number): void;
    }

    interface HeaderInput {
      name: string;
      value: string;
      neverIndex?: boolean;
      huffman?: boolean;
      incremental?: boolean;
    }

    /** Writable of encoded blocks that pushes decoded fields; call execute() after write(). */
    interface Decompressor extends Duplex {
      write(block: Buffer): boolean;
      execute(): void;
      read(): { name: string; value: string; neverIndex: boolean } | null;
    }

    /** Object-mode writable (arrays of headers) that pushes encoded blocks. */
    interface Compressor extends Duplex {
      write(headers: HeaderInput[]): boolean;
      read(): Buffer | null;
      updateTableSize(size: number): void;
    }
  }

  const hpack: {
    decoder: { create(): hpack.Decoder };
    table: { create(options: { maxSize: number; lookupDepth?: number }): hpack.Table };
    compressor: { create(options: { table: { maxSize: number } }): hpack.Compressor };
    decompressor: { create(options: { table: { maxSize: number } }): hpack.Decompressor };
    utils: { stringify(octets: ArrayLike<number>): string };
  };
  export = hpack;
}
