/**
 * Where `tailLines` starts reading: the kubelet's rule (its tail.go) reads
 * the file backwards in blocks and counts line ends, so each file line
 * counts once (each part of a split line too) and an unfinished last line
 * not at all. Memory stays one block whatever the file size.
 */
import type { FileHandle } from "node:fs/promises";

const blockBytes = 64 * 1024;
const newline = 0x0a;

/** The offset of the start of the last `n` lines of the first `size` bytes of `file`; 0 when n < 0 or the file is shorter. */
export async function findTailStart(file: FileHandle, size: number, n: number): Promise<number> {
  if (n < 0) return 0;
  const buf = Buffer.alloc(blockBytes);
  let count = 0;
  let right = size;
  while (right > 0) {
    const left = Math.max(0, right - blockBytes);
    const length = right - left;
    const { bytesRead } = await file.read(buf, 0, length, left);
    // Scan this block from its end; the line that holds the (n+1)th newline
    // from the end finishes right before our start.
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (buf[i] !== newline) continue;
      count += 1;
      if (count > n) return left + i + 1;
    }
    right = left;
  }
  return 0;
}
