// A file cut into blocks of blockSize bytes, all full but the last: the arithmetic every
// layout shares (where the blocks are kept is each layout's own business).

export function blockCount(size: number, blockSize: number): number {
  return Math.ceil(size / blockSize);
}

/** The length of block `index` of a file of `size` bytes. */
export function blockLength(index: number, size: number, blockSize: number): number {
  return Math.max(0, Math.min(blockSize, size - index * blockSize));
}
