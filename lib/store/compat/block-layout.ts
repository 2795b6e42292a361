// The seed layout (Python sqlite-s3vfs): the bytes of a file named N are cut into
// blocks of blockSize bytes; block i is the object `N/` + i as 10 zero-padded digits;
// every block is full except the last, which may be short. See docs/FORMAT.md.

import { S3VFSError } from '../../errors';

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

export interface ListedBlock {
  index: number;
  size: number;
  etag?: string;
}

export interface BlockListing {
  /** Bytes in the file: the run of blocks from 0 with no gap, all full but the last. */
  size: number;
  /** Blocks in that run. */
  count: number;
  /** Blocks past a gap or past a short block: left by a writer that died while
   *  uploading blocks in parallel. They are not part of the file; the next writer deletes them. */
  orphans: number[];
}

/**
 * What a listing of a file's blocks says, for a block size that the caller has from the
 * listing itself (block 0's length, when block 1 exists) or, for a file of one block,
 * from its own default. The file is the run of blocks from 0 up to a gap or a short
 * block; what follows is orphaned. A block longer than the block size cannot be read
 * with it: an error that names both sizes.
 */
export function readListing(name: string, blocks: ListedBlock[], blockSize: number): BlockListing {
  const sorted = [...blocks].sort((a, b) => a.index - b.index);
  let count = 0;
  let size = 0;
  for (const b of sorted) {
    if (b.size > blockSize) {
      throw new S3VFSError(
        `block ${b.index} of '${name}' has ${b.size} bytes but the block size is ${blockSize}: ` +
          `open it with the block size it was written with (blockSize: ${b.size})`,
        'EBLOCKSIZE',
      );
    }
    if (b.index !== count || b.size === 0 || size % blockSize !== 0) break;
    count++;
    size += b.size;
  }
  const orphans = sorted.slice(count).map((b) => b.index);
  return { size, count, orphans };
}
