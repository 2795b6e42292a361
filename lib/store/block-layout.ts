// The seed layout (Python sqlite-s3vfs): the bytes of a file named N are cut into
// blocks of blockSize bytes; block i is the object `N/` + i as 10 zero-padded digits;
// every block is full except the last, which may be short. See docs/FORMAT.md.

const DIGITS = 10;
const BLOCK_KEY = /^\d{10}$/;

export function blockKey(name: string, index: number): string {
  return `${name}/${String(index).padStart(DIGITS, '0')}`;
}

export function blockPrefix(name: string): string {
  return `${name}/`;
}

/** The block index of a key directly under the file's prefix, or -1 for other keys. */
export function blockIndexOf(name: string, key: string): number {
  const tail = key.slice(name.length + 1);
  return BLOCK_KEY.test(tail) ? Number(tail) : -1;
}

export function blockCount(size: number, blockSize: number): number {
  return Math.ceil(size / blockSize);
}

/** The length of block `index` of a file of `size` bytes. */
export function blockLength(index: number, size: number, blockSize: number): number {
  return Math.max(0, Math.min(blockSize, size - index * blockSize));
}

export interface ListedBlock {
  index: number;
  size: number;
  etag?: string;
}

/**
 * The file size that a listing of its blocks describes. Blocks must run from 0 with no
 * gap, all full but the last: anything else means the data was written with another
 * block size, or a write was cut short, and reading it would return wrong bytes.
 */
export function sizeFromBlocks(name: string, blocks: ListedBlock[], blockSize: number): number {
  if (blocks.length === 0) return 0;
  const sorted = [...blocks].sort((a, b) => a.index - b.index);
  for (let i = 0; i < sorted.length; i++) {
    const b = sorted[i];
    if (b.index !== i) {
      throw new Error(
        `block ${i} of '${name}' is missing (found block ${b.index}): the objects under '${name}/' are not a complete database` +
          (i === 0 ? ' (an interrupted deserialize? delete the prefix and retry)' : ''),
      );
    }
    const last = i === sorted.length - 1;
    if (b.size > blockSize || (!last && b.size !== blockSize)) {
      throw new Error(
        `block ${i} of '${name}' has ${b.size} bytes but the block size is ${blockSize}: ` +
          `open it with the block size it was written with (blockSize: ${sorted.length > 1 ? Math.max(sorted[0].size, b.size) : b.size})`,
      );
    }
    if (last && b.size === 0) throw new Error(`block ${i} of '${name}' is empty`);
  }
  return (sorted.length - 1) * blockSize + sorted[sorted.length - 1].size;
}
