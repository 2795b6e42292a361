// One file of the block store (a database, a journal): its size, cached blocks and
// the blocks written but not yet uploaded. Byte-level reads and writes become block
// reads and read-modify-writes here, so the C++ side never sees blocks.
import { BlockCache, type CacheOwner } from './block-cache';
import { blockCount, blockIndexOf, blockKey, blockLength, blockPrefix, readListing } from './block-layout';
import { mapLimit, type S3Objects } from './s3-objects';

export interface StoreContext {
  s3: S3Objects;
  blockSize: number;
  cache: BlockCache;
  concurrency: number;
  /** A file with more than this many bytes waiting is uploaded before the next write. */
  maxDirtyBytes: number;
}

let nextOwnerId = 1;

export class BlockFile implements CacheOwner {
  /** Size including writes not yet uploaded. */
  size = 0;
  openCount = 0;
  /** Blocks that exist in the bucket, as of the last listing or upload. */
  private stored = 0;
  /** Blocks in the bucket that are not part of the file (see readListing). */
  private orphans: number[] = [];
  private etag0: string | undefined;
  private readonly blocks = new Map<number, Uint8Array>();
  private readonly dirty = new Set<number>();
  private readonly ownerId = nextOwnerId++;

  constructor(
    readonly name: string,
    private readonly ctx: StoreContext,
  ) {}

  get exists(): boolean {
    return this.size > 0;
  }

  /** Bytes written and not yet uploaded. */
  get dirtyBytes(): number {
    return this.dirty.size * this.ctx.blockSize;
  }

  get isDirty(): boolean {
    return this.dirty.size > 0 || this.stored !== blockCount(this.size, this.ctx.blockSize);
  }

  private orphansFrom(count: number): number[] {
    return this.orphans.filter((i) => i >= count);
  }

  /** Reads the file's size from a listing of its blocks (the one LIST a file costs). */
  async load(): Promise<void> {
    const listed = await this.ctx.s3.list(blockPrefix(this.name));
    const blocks = listed
      .map((o) => ({ index: blockIndexOf(this.name, o.key), size: o.size, etag: o.etag }))
      .filter((b) => b.index >= 0);
    const listing = readListing(this.name, blocks, this.ctx.blockSize);
    this.dropCache();
    this.size = listing.size;
    this.stored = listing.count;
    this.orphans = listing.orphans;
    this.etag0 = listing.count > 0 ? blocks.find((b) => b.index === 0)?.etag : undefined;
  }

  evictBlock(index: number): void {
    if (!this.dirty.has(index)) this.blocks.delete(index);
  }

  private dropCache(): void {
    for (const i of this.blocks.keys()) this.ctx.cache.remove(this.ownerId, i);
    this.blocks.clear();
    this.dirty.clear();
  }

  private cacheClean(index: number, bytes: Uint8Array): void {
    this.blocks.set(index, bytes);
    this.ctx.cache.add(this.ownerId, this, index, bytes.length);
  }

  private setDirty(index: number, bytes: Uint8Array): void {
    this.ctx.cache.remove(this.ownerId, index);
    this.blocks.set(index, bytes);
    this.dirty.add(index);
  }

  /** Current content of a block that lies within the file. */
  private async block(index: number): Promise<Uint8Array> {
    const cached = this.blocks.get(index);
    if (cached) {
      this.ctx.cache.counters.add('cacheHits');
      this.ctx.cache.touch(this.ownerId, index);
      return cached;
    }
    this.ctx.cache.counters.add('cacheMisses');
    const want = blockLength(index, this.size, this.ctx.blockSize);
    if (index >= this.stored) return new Uint8Array(want);
    const got = await this.ctx.s3.get(blockKey(this.name, index));
    if (!got) {
      throw new Error(`block ${index} of '${this.name}' has vanished from the bucket (deleted by another client?)`);
    }
    if (got.body.length !== want) {
      throw new Error(
        `block ${index} of '${this.name}' has ${got.body.length} bytes, expected ${want}: changed by another client?`,
      );
    }
    if (index === 0 && this.etag0 !== undefined && got.etag !== this.etag0) {
      // Another client changed the file since we listed it (SQLite reads the header
      // before it takes a lock). Keep the old ETag so the next revalidate() reloads.
      return got.body;
    }
    if (index === 0) this.etag0 = got.etag;
    this.cacheClean(index, got.body);
    return got.body;
  }

  async read(offset: number, amount: number): Promise<Uint8Array> {
    const end = Math.min(offset + amount, this.size);
    if (end <= offset) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    const B = this.ctx.blockSize;
    for (let i = Math.floor(offset / B); i * B < end; i++) {
      const content = await this.block(i);
      const s = Math.max(offset, i * B);
      const e = Math.min(end, i * B + content.length);
      out.set(content.subarray(s - i * B, e - i * B), s - offset);
    }
    return out;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    const B = this.ctx.blockSize;
    const end = offset + data.length;
    const oldSize = this.size;
    const newSize = Math.max(oldSize, end);
    // A write past the end zero-fills the gap, so that blocks stay full: this is how
    // the seed fills the blocks before SQLite's 1 GiB lock page, which is never written.
    const first = Math.floor(Math.min(offset, oldSize) / B);
    for (let i = first; i * B < end; i++) {
      const start = i * B;
      const newLen = blockLength(i, newSize, B);
      const oldLen = blockLength(i, oldSize, B);
      const content = await this.writableBlock(i, newLen, oldLen, offset <= start && end >= start + newLen);
      const s = Math.max(offset, start);
      const e = Math.min(end, start + newLen);
      if (e > s) content.set(data.subarray(s - offset, e - offset), s - start);
      this.setDirty(i, content);
    }
    this.size = newSize;
  }

  /**
   * A block to write into. A block already written since the last upload is changed in
   * place (with large blocks, copying it for every page written would cost more than the
   * upload); its buffer has room for a whole block, so it can grow without a copy.
   */
  private async writableBlock(index: number, newLen: number, oldLen: number, covered: boolean): Promise<Uint8Array> {
    const current = this.dirty.has(index) ? this.blocks.get(index) : undefined;
    if (current && current.byteOffset === 0 && current.buffer.byteLength >= newLen) {
      return current.length === newLen ? current : new Uint8Array(current.buffer, 0, newLen);
    }
    const content = new Uint8Array(new ArrayBuffer(this.ctx.blockSize), 0, newLen);
    if (!covered && oldLen > 0) content.set((await this.block(index)).subarray(0, Math.min(oldLen, newLen)));
    return content;
  }

  /** Shrinks the file; like the seed, never grows it. */
  async truncate(newSize: number): Promise<void> {
    if (newSize >= this.size) return;
    const B = this.ctx.blockSize;
    const count = blockCount(newSize, B);
    const tail = newSize - (count - 1) * B;
    if (count > 0 && tail < B) {
      const last = await this.block(count - 1);
      this.setDirty(count - 1, last.slice(0, tail));
    }
    for (const i of [...this.blocks.keys()]) {
      if (i >= count) {
        this.ctx.cache.remove(this.ownerId, i);
        this.blocks.delete(i);
        this.dirty.delete(i);
      }
    }
    this.size = newSize;
  }

  /**
   * Uploads written blocks, in parallel, in an order that a writer killed at any point
   * leaves a listing readListing understands: blocks past the end are deleted first (a
   * stale full block after a new short one would look like another block size), and a
   * short last block is filled before any block after it appears. Blocks after it may
   * land in any order; until all have, the run from block 0 ends at the first gap.
   */
  async flush(): Promise<void> {
    const count = blockCount(this.size, this.ctx.blockSize);
    const stale: number[] = this.orphansFrom(count);
    for (let i = count; i < this.stored; i++) stale.push(i);
    if (stale.length) {
      await this.ctx.s3.deleteKeys(stale.map((i) => blockKey(this.name, i)));
      this.stored = Math.min(this.stored, count);
      this.orphans = this.orphans.filter((i) => i < count);
      if (count === 0) this.etag0 = undefined;
    }
    const upload = async (i: number) => {
      const bytes = this.blocks.get(i)!;
      const etag = await this.ctx.s3.put(blockKey(this.name, i), bytes);
      if (i === 0) this.etag0 = etag;
      this.dirty.delete(i);
      this.cacheClean(i, bytes);
    };
    const tail = this.stored - 1;
    if (tail >= 0 && this.dirty.has(tail)) await upload(tail);
    await mapLimit([...this.dirty].sort((a, b) => a - b), this.ctx.concurrency, upload);
    this.stored = count;
    this.orphans = [];
  }

  /** Deletes every block of the file. */
  async remove(): Promise<void> {
    this.dropCache();
    // The blocks in the bucket are known since the file was listed: no LIST needed.
    const indexes = [...Array.from({ length: this.stored }, (_, i) => i), ...this.orphans];
    const keys = indexes.map((i) => blockKey(this.name, i));
    if (keys.length) await this.ctx.s3.deleteKeys(keys);
    this.size = 0;
    this.stored = 0;
    this.orphans = [];
    this.etag0 = undefined;
  }

  /**
   * Checks, with one conditional GET of block 0, whether another client changed the
   * file since it was cached. True (and the cache dropped, the size re-listed) if so.
   */
  async revalidate(): Promise<boolean> {
    if (this.isDirty) return false;
    const key = blockKey(this.name, 0);
    const got = this.etag0 ? await this.ctx.s3.getIfChanged(key, this.etag0) : await this.ctx.s3.get(key);
    if (got === 'unchanged') return false;
    if (got === null && this.stored === 0) return false;
    await this.load();
    if (got && got.etag === this.etag0 && got.body.length === blockLength(0, this.size, this.ctx.blockSize)) {
      this.cacheClean(0, got.body);
    }
    return true;
  }
}
