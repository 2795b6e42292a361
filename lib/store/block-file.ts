// One file of the block store (a database, a journal): its size, cached blocks and
// the blocks written but not yet uploaded. Byte-level reads and writes become block
// reads and read-modify-writes here, so the C++ side never sees blocks.
import { randomBytes } from 'node:crypto';
import { BlockCache, type CacheOwner } from './block-cache';
import { blockCount, blockIndexOf, blockKey, blockLength, blockPrefix, readListing } from './block-layout';
import { S3VFSError } from '../errors';
import type { ConditionalWritesProbe } from './conditional-probe';
import { putResolved } from './conditional-put';
import { EtagTable } from './etag-table';
import { isJournalName } from './family';
import { mapLimit, type S3Objects } from './s3-objects';

export interface StoreContext {
  s3: S3Objects;
  /** Block size of new files; a file listed with two or more blocks uses its own. */
  blockSize: number;
  cache: BlockCache;
  concurrency: number;
  /** A file with more than this many bytes waiting is uploaded before the next write. */
  maxDirtyBytes: number;
  /** A read transaction trusts the cache without asking S3 if it was checked this recently. */
  maxStalenessMs: number;
  /** Bytes of a range GET for a first, out-of-sequence read of a large block; 0: none. */
  rangeReadSize: number;
  /** The layout of new databases: versioned (manifest, leases) or the seed's. */
  layout: 'versioned' | 'compat';
  /** How long a writer's lease lasts without renewal. */
  leaseTtlMs: number;
  /** Asks the server, once, whether it honours conditional writes (versioned layout). */
  conditional: ConditionalWritesProbe;
}

/** Bytes written into one block on the main thread, at `offset` within the block. */
export interface BlockWrite {
  index: number;
  offset: number;
  bytes: Uint8Array;
}

/** What a read asked the worker for: whole blocks, or a piece of one (a range GET). */
export type BlocksRead = { data: Uint8Array; count: number } | { piece: Uint8Array; start: number };

let nextOwnerId = 1;

/**
 * A journal's tombstone: its first byte zero (to SQLite, and so to the Python reader, a
 * journal that is not hot), the rest random, so that no two have the same ETag.
 */
const TOMBSTONE_BYTES = 16;
function newTombstone(): Uint8Array {
  const bytes = new Uint8Array(TOMBSTONE_BYTES);
  bytes.set(randomBytes(8), 8);
  return bytes;
}
/**
 * Journals have tombstones when blocks are larger than SQLite's journal header (28 bytes):
 * SQLite writes that header whole and a PUT is atomic, so a journal's block 0 of 16 bytes
 * is then a tombstone, never part of a journal.
 */
function hasTombstones(name: string, blockSize: number): boolean {
  return blockSize >= 28 && isJournalName(name);
}
const READ_AHEAD_BYTES = 32 << 20;
const MIN_PIECES_TRIED = 8;

export class BlockFile implements CacheOwner {
  /** Size including writes not yet uploaded. */
  size = 0;
  openCount = 0;
  /** Blocks that exist in the bucket, as of the last listing or upload. */
  protected stored = 0;
  /** Blocks in the bucket that are not part of the file (see readListing). */
  private orphans: number[] = [];
  private etag0: string | undefined;
  /** What each block object in the bucket holds, as this writer last saw it (listed or put). */
  private readonly etags = new EtagTable();
  /** Block 0 in the bucket is a journal's tombstone (see dropBlocks): the file is empty. */
  private emptyBlock0 = false;
  protected readonly blocks = new Map<number, Uint8Array>();
  protected readonly dirty = new Set<number>();
  /** How many times each block was written: an upload knows whether its bytes are still the latest. */
  private readonly writes = new Map<number, number>();
  private readonly ownerId = nextOwnerId++;
  /** GETs under way, so that a block is never fetched twice at once. */
  private readonly fetching = new Map<number, Promise<Uint8Array>>();
  /** Bumped whenever cached content becomes invalid: a fetch started before lands nowhere. */
  protected generation = 0;
  /** Read-ahead state: the last block entered, and how far ahead sequential access fetches. */
  private lastBlock = -2;
  private window = 0;
  /** When revalidate() last asked S3. */
  protected validatedAt = 0;
  /** What this file holds may not be what S3 holds (an upload failed): read S3 again. */
  protected stale = false;
  /** Blocks read in pieces: the next miss in one of them fetches it whole. */
  private readonly pieced = new Set<number>();
  /** How many blocks were read in pieces, and how many of them had to be fetched whole
   *  after all: when that is often, range GETs cost more than they save here. */
  private piecesTried = 0;
  private piecesWasted = 0;

  /** This file's block size. */
  B: number;

  constructor(
    readonly name: string,
    protected readonly ctx: StoreContext,
    blockSize = ctx.blockSize,
  ) {
    this.B = blockSize;
  }

  get exists(): boolean {
    return this.size > 0;
  }

  /** Bytes written and not yet uploaded. */
  get dirtyBytes(): number {
    return this.dirty.size * this.B;
  }

  get isDirty(): boolean {
    return this.dirty.size > 0 || this.stored !== blockCount(this.size, this.B);
  }

  private orphansFrom(count: number): number[] {
    return this.orphans.filter((i) => i >= count);
  }

  /** Reads the file's size from a listing of its blocks (the one LIST a file costs). */
  async load(): Promise<void> {
    const listed = await this.ctx.s3.list(blockPrefix(this.name));
    const all = listed
      .map((o) => ({ index: blockIndexOf(this.name, o.key), size: o.size, etag: o.etag }))
      .filter((b) => b.index >= 0);
    this.dropCache();
    const tombstone = hasTombstones(this.name, this.B) && all.find((b) => b.index === 0)?.size === TOMBSTONE_BYTES;
    const blocks = tombstone ? all.filter((b) => b.index !== 0) : all;
    // The block size is not stored anywhere; a full block 0 followed by block 1 tells it.
    const b0 = blocks.find((b) => b.index === 0);
    if (b0 && blocks.some((b) => b.index === 1)) this.B = b0.size;
    const listing = readListing(this.name, blocks, this.B);
    this.stale = false;
    this.size = listing.size;
    this.stored = listing.count;
    this.orphans = listing.orphans;
    this.etag0 = listing.count > 0 ? blocks.find((b) => b.index === 0)?.etag : undefined;
    this.etags.clear();
    for (const b of all) if (b.etag) this.etags.set(b.index, b.etag);
    this.emptyBlock0 = tombstone;
  }

  /** The object that holds block `index` of the file as last read or written. */
  objectKey(index: number): string {
    return this.keyOf(index);
  }

  /** The object that holds block `index` (which lies below `stored`). */
  protected keyOf(index: number): string {
    return blockKey(this.name, index);
  }

  /**
   * Throws if the bytes read for block `index` from object `key` (null: only part of them, a
   * range GET) are not what the layout says that object holds. The seed layout records
   * nothing to check.
   */
  checkBlock(_index: number, _key: string, _bytes: Uint8Array | null): void {}

  /** Frees memory in a long transaction: written blocks go up, without committing anything. */
  async spill(): Promise<void> {
    await this.flush();
  }

  evictBlock(index: number): void {
    if (!this.dirty.has(index)) this.blocks.delete(index);
  }

  /** Lets go of every clean block, as the cache would under pressure. */
  evictClean(): void {
    for (const i of [...this.blocks.keys()]) {
      if (this.dirty.has(i)) continue;
      this.ctx.cache.remove(this.ownerId, i);
      this.blocks.delete(i);
    }
  }

  protected dropCache(): void {
    for (const i of this.blocks.keys()) this.ctx.cache.remove(this.ownerId, i);
    this.blocks.clear();
    this.dirty.clear();
    this.fetching.clear();
    this.pieced.clear();
    this.generation++;
  }

  protected cacheClean(index: number, bytes: Uint8Array): void {
    this.blocks.set(index, bytes);
    this.ctx.cache.add(this.ownerId, this, index, bytes.length);
  }

  protected setDirty(index: number, bytes: Uint8Array): void {
    this.ctx.cache.remove(this.ownerId, index);
    this.blocks.set(index, bytes);
    this.dirty.add(index);
    this.writes.set(index, (this.writes.get(index) ?? 0) + 1);
  }

  /**
   * Ends the upload of block `index` that started when its write count was `writesBefore`:
   * the block is clean unless it was written again meanwhile (a write served while an
   * upload that a request of another kind started was under way), in which case it stays
   * dirty, to go up again whole. False then.
   */
  protected uploaded(index: number, writesBefore: number, bytes: Uint8Array): boolean {
    if ((this.writes.get(index) ?? 0) !== writesBefore) return false;
    this.dirty.delete(index);
    this.cacheClean(index, bytes);
    return true;
  }

  protected writesOf(index: number): number {
    return this.writes.get(index) ?? 0;
  }

  /** Current content of a block that lies within the file. */
  private async block(index: number): Promise<Uint8Array> {
    const cached = this.blocks.get(index);
    this.readAhead(index, cached !== undefined || this.fetching.has(index));
    if (cached) {
      this.ctx.cache.counters.add('cacheHits');
      this.ctx.cache.touch(this.ownerId, index);
      return cached;
    }
    if (index >= this.stored) return new Uint8Array(blockLength(index, this.size, this.B));
    if (this.pieced.delete(index)) this.piecesWasted++;
    // A block already on its way (read ahead) counts as a hit: its GET started early.
    const pending = this.fetching.get(index);
    this.ctx.cache.counters.add(pending ? 'cacheHits' : 'cacheMisses');
    return pending ?? this.fetch(index);
  }

  /**
   * Sequential access (a scan, a rollback) fetches the blocks ahead in parallel, in a
   * window that doubles with each block entered in order, so that a scan pays about one
   * round trip per window instead of one per block. A jump to a block that is here
   * already (a B-tree interior page, say) leaves the scan's window open; a miss
   * elsewhere closes it.
   */
  private readAhead(index: number, have: boolean): void {
    if (index === this.lastBlock) return;
    if (index !== this.lastBlock + 1) {
      if (have) return;
      this.lastBlock = index;
      this.window = 0;
      return;
    }
    this.lastBlock = index;
    // Blocks read ahead must still be cached when the scan reaches them: a window larger
    // than a fraction of the cache would evict them first and fetch them again and again.
    const aheadBytes = Math.min(READ_AHEAD_BYTES, this.ctx.cache.limitBytes / 4);
    const maxWindow = Math.max(1, Math.min(4 * this.ctx.concurrency, Math.floor(aheadBytes / this.B)));
    this.window = Math.min(Math.max(1, this.window * 2), maxWindow);
    for (let j = index + 1; j <= index + this.window && j < this.stored; j++) {
      if (!this.blocks.has(j) && !this.fetching.has(j)) this.fetch(j).catch(() => undefined);
    }
  }

  /** GETs a block into the cache (unless the cache was invalidated meanwhile). */
  private fetch(index: number): Promise<Uint8Array> {
    const generation = this.generation;
    const want = blockLength(index, this.size, this.B);
    const key = this.keyOf(index);
    const p = (async () => {
      const got = await this.ctx.s3.get(key);
      if (!got) {
        throw this.vanished(index, key);
      }
      if (got.body.length !== want) {
        throw new Error(`block ${index} of '${this.name}' has ${got.body.length} bytes, expected ${want}: changed by another client?`);
      }
      this.checkBlock(index, key, got.body);
      if (generation !== this.generation || this.blocks.has(index)) return got.body;
      if (index === 0 && this.etag0 !== undefined && got.etag !== this.etag0) {
        // Another client changed the file since we listed it (SQLite reads the header
        // before it takes a lock). Keep the old ETag so the next revalidate() reloads.
        return got.body;
      }
      if (index === 0) this.etag0 = got.etag;
      this.cacheClean(index, got.body);
      return got.body;
    })();
    this.fetching.set(index, p);
    const done = () => {
      if (this.fetching.get(index) === p) this.fetching.delete(index);
    };
    p.then(done, done);
    return p;
  }

  /**
   * Whole blocks from `first`: the `count` asked for, then those after them that are
   * already here (read ahead), up to `maxBytes`, so that the main thread crosses the
   * bridge once per run of blocks rather than once per block.
   */
  async readBlocks(first: number, count: number, maxBytes: number, want?: { offset: number; amount: number }): Promise<BlocksRead> {
    const range = want && count === 1 ? this.pieceFor(first, want.offset, want.amount) : undefined;
    if (range) return { piece: await this.fetchPiece(first, range.start, range.end), start: range.start };
    const parts: Uint8Array[] = [];
    let bytes = 0;
    const total = blockCount(this.size, this.B);
    for (let i = first; i < total; i++) {
      const len = blockLength(i, this.size, this.B);
      if (bytes + len > maxBytes) break;
      if (i >= first + count && !this.blocks.has(i)) break;
      parts.push(await this.block(i));
      bytes += len;
    }
    const data = new Uint8Array(bytes);
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    return { data, count: parts.length };
  }

  /**
   * The aligned range of rangeReadSize bytes around a read, when a range GET pays: a
   * block much larger than that, met for the first time out of sequence (a lookup). A
   * scan, a block read in pieces before or one already here or on its way is read whole.
   */
  private pieceFor(index: number, offset: number, amount: number): { start: number; end: number } | undefined {
    const R = this.ctx.rangeReadSize;
    if (R <= 0 || blockLength(index, this.size, this.B) < 4 * R || index >= this.stored || index === this.lastBlock + 1) return undefined;
    if (this.blocks.has(index) || this.fetching.has(index) || this.pieced.has(index)) return undefined;
    // A range GET pays when most blocks are read once (sparse lookups in a large file); a
    // block read again costs a second GET. Give up once a third of them were.
    if (this.piecesTried >= MIN_PIECES_TRIED && this.piecesWasted * 3 > this.piecesTried) return undefined;
    const blockStart = index * this.B;
    const blockEnd = blockStart + blockLength(index, this.size, this.B);
    const start = blockStart + Math.floor((offset - blockStart) / R) * R;
    const end = Math.min(blockEnd, blockStart + Math.ceil((offset + amount - blockStart) / R) * R);
    if (offset < blockStart || end <= start || offset + amount > blockEnd) return undefined;
    return { start, end };
  }

  /** Bytes [start, end) of block `index`, by a range GET; they go to the main thread only. */
  private async fetchPiece(index: number, start: number, end: number): Promise<Uint8Array> {
    this.pieced.add(index);
    this.piecesTried++;
    this.lastBlock = index;
    this.window = 0;
    this.ctx.cache.counters.add('cacheMisses');
    const base = index * this.B;
    const key = this.keyOf(index);
    const got = await this.ctx.s3.get(key, { start: start - base, end: end - base });
    if (!got) {
      throw this.vanished(index, key);
    }
    if (got.body.length !== end - start) {
      throw new Error(`block ${index} of '${this.name}' gave ${got.body.length} bytes for a range of ${end - start}: changed by another client?`);
    }
    this.checkBlock(index, key, null);
    return got.body;
  }

  private vanished(index: number, key: string): Error {
    return new Error(
      `block ${index} of '${this.name}' (${key}) has vanished from the bucket: deleted by another client, ` +
        'or by vfs.gc with an olderThan shorter than this read transaction?',
    );
  }

  /** Fetches every block not cached yet, in parallel, up to `maxBytes`. */
  async prefetch(maxBytes: number): Promise<number> {
    const wanted: number[] = [];
    for (let i = 0; i < this.stored && (wanted.length + 1) * this.B <= maxBytes; i++) {
      if (!this.blocks.has(i) && !this.fetching.has(i)) wanted.push(i);
    }
    await mapLimit(wanted, this.ctx.concurrency, (i) => this.fetch(i));
    return wanted.length;
  }

  async read(offset: number, amount: number): Promise<Uint8Array> {
    const end = Math.min(offset + amount, this.size);
    if (end <= offset) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    const B = this.B;
    for (let i = Math.floor(offset / B); i * B < end; i++) {
      const content = await this.block(i);
      const s = Math.max(offset, i * B);
      const e = Math.min(end, i * B + content.length);
      out.set(content.subarray(s - i * B, e - i * B), s - offset);
    }
    return out;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    const B = this.B;
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
    const content = new Uint8Array(new ArrayBuffer(this.B), 0, newLen);
    if (!covered && oldLen > 0) content.set((await this.block(index)).subarray(0, Math.min(oldLen, newLen)));
    return content;
  }

  /**
   * Changes written on the main thread's cache, and the file's new size. A change to part
   * of a block is applied to the block here (written, cached, or past what the bucket
   * holds); a block that is not here would cost a GET on the main thread's time, so it
   * is returned instead, and the main thread sends it again whole.
   */
  async applyWrites(size: number, writes: BlockWrite[]): Promise<number[]> {
    const newSize = Math.max(this.size, size);
    const missing = new Set<number>();
    for (const { index, offset, bytes } of writes) {
      const newLen = blockLength(index, newSize, this.B);
      if (offset + bytes.length > newLen) {
        throw new Error(`a write of ${bytes.length} bytes at ${offset} in block ${index} of '${this.name}' passes its end (${newLen} bytes)`);
      }
      const whole = offset === 0 && bytes.length === newLen;
      if (!whole && (missing.has(index) || (index < this.stored && !this.blocks.has(index)))) {
        missing.add(index);
        continue;
      }
      const content = await this.writableBlock(index, newLen, blockLength(index, this.size, this.B), whole);
      content.set(bytes, offset);
      this.setDirty(index, content);
    }
    this.size = newSize;
    return [...missing];
  }

  /** Shrinks the file; like the seed, never grows it. */
  async truncate(newSize: number): Promise<void> {
    if (newSize >= this.size) return;
    const B = this.B;
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
   * stale full block after a new short one would read as part of the file), and a short
   * block 0 is filled before block 1 appears. Other blocks may land in any order; until
   * all have, the file ends at the first gap or short block, and the journal restores it.
   */
  async flush(): Promise<void> {
    const count = blockCount(this.size, this.B);
    const stale: number[] = this.orphansFrom(count);
    for (let i = count; i < this.stored; i++) stale.push(i);
    if (stale.length) {
      await this.dropBlocks(stale);
      this.stored = Math.min(this.stored, count);
      this.orphans = this.orphans.filter((i) => i < count);
      if (count === 0) this.etag0 = undefined;
    }
    const upload = async (i: number) => {
      const bytes = this.blocks.get(i)!;
      const before = this.writesOf(i);
      const etag = await this.putBlock(i, bytes);
      if (i === 0) this.emptyBlock0 = false;
      if (!this.uploaded(i, before, bytes)) return;
      if (i === 0) this.etag0 = etag;
    };
    // Block 0 tells readers the block size, so a short block 0 is filled before block 1
    // can appear. A later short block needs no such care: past it, blocks are orphans.
    if (this.stored === 1 && this.dirty.has(0)) await upload(0);
    await mapLimit([...this.dirty].sort((a, b) => a - b), this.ctx.concurrency, upload);
    this.stored = count;
    this.orphans = [];
  }

  /**
   * Forgets what this worker holds of the file, written blocks included, after an upload
   * or a DELETE failed: S3 may hold this state, the previous one or a mix, and says which.
   * Its listing is read again now, or by the next revalidate() if S3 cannot be reached.
   */
  async discard(): Promise<void> {
    this.dropCache();
    this.stale = true;
    await this.load().catch(() => undefined);
  }

  /**
   * PUTs a block on the condition that its object still holds what this writer last saw
   * (If-Match its ETag, or If-None-Match: * for a block not in the bucket). A copy of an
   * earlier PUT sent again after a lost answer, landing late after a newer write of the
   * block, is then refused instead of undoing it. A server that ignores conditions is no
   * worse off than without them; one that rejects them gets plain PUTs from then on.
   */
  private async putBlock(index: number, bytes: Uint8Array): Promise<string | undefined> {
    const etag = await this.putOnCondition(index, bytes);
    // What the bucket holds now, whether or not the block was written again meanwhile.
    if (etag) this.etags.set(index, etag);
    else this.etags.delete(index);
    return etag;
  }

  private async putOnCondition(index: number, bytes: Uint8Array): Promise<string | undefined> {
    const key = blockKey(this.name, index);
    const s3 = this.ctx.s3;
    if (!s3.conditionalPuts) return s3.put(key, bytes);
    let known = this.etags.get(index);
    // The seed layout has one writer: whatever else a block holds is a late copy, of this
    // writer's earlier PUT or of one from a writer that died (its PUTs in flight may land
    // while the next connection rolls its journal back), and is overwritten, still on
    // condition. Only a block that keeps changing fails the commit.
    for (let tries = 3; ; tries--) {
      let r;
      try {
        r = await putResolved(s3, key, bytes, known ? { ifMatch: known } : { ifNoneMatch: '*' });
      } catch (err) {
        if (!/^(NotImplemented|InvalidArgument)$/.test((err as { code?: string }).code ?? '')) throw err;
        s3.conditionalPuts = false;
        return s3.put(key, bytes);
      }
      if (r.applied) return r.etag;
      // Still what this writer saw: the PUT just did not land, a failure like any other.
      if (r.current ? r.current.etag === known : known === undefined) throw r.error;
      if (tries > 1) {
        known = r.current?.etag;
        continue;
      }
      throw new S3VFSError(
        `block ${index} of '${this.name}' (${key}) kept changing in the bucket under this writer: another writer is at work ` +
          '(the seed layout has no lock between processes); the commit fails and SQLite rolls it back',
        'ECONFLICT',
      );
    }
  }

  /** Deletes every block of the file. */
  async remove(): Promise<void> {
    this.dropCache();
    // The blocks in the bucket are known since the file was listed: no LIST needed.
    await this.dropBlocks([...Array.from({ length: this.stored }, (_, i) => i), ...this.orphans]);
    this.size = 0;
    this.stored = 0;
    this.orphans = [];
    this.etag0 = undefined;
  }

  /**
   * Deletes block objects. A seed-layout journal keeps its block 0 as a tombstone instead
   * (docs/FORMAT.md): a copy of one of its earlier PUTs that lands late then meets an object
   * whose ETag it does not expect, and is refused, where a deleted key would let it create a
   * hot journal that rolls committed pages back. Each tombstone's bytes are new, so its ETag
   * never repeats (a late PUT conditional on an earlier tombstone's ETag is refused too), and
   * it is itself put on condition, so a late copy of it cannot blank the next journal.
   */
  private async dropBlocks(indexes: number[]): Promise<void> {
    const keepFirst = indexes.includes(0) && this.ctx.s3.conditionalPuts && hasTombstones(this.name, this.B);
    const deleted = indexes.filter((i) => !(i === 0 && keepFirst));
    if (keepFirst && !this.emptyBlock0) {
      await this.putBlock(0, newTombstone());
      this.emptyBlock0 = true;
    }
    if (deleted.length) await this.ctx.s3.deleteKeys(deleted.map((i) => blockKey(this.name, i)));
    for (const i of deleted) this.etags.delete(i);
    if (deleted.includes(0)) this.emptyBlock0 = false;
  }

  /**
   * Checks, with one conditional GET of block 0, whether another client changed the
   * file since it was cached. True (and the cache dropped, the size re-listed) if so.
   */
  async revalidate(within = 0): Promise<boolean> {
    if (this.stale) {
      await this.load();
      return true;
    }
    if (this.isDirty) return false;
    const now = Date.now();
    if (within > 0 && now - this.validatedAt < within) return false;
    this.validatedAt = now;
    const key = blockKey(this.name, 0);
    const got = this.etag0 ? await this.ctx.s3.getIfChanged(key, this.etag0) : await this.ctx.s3.get(key);
    if (got === 'unchanged') return false;
    if (got === null && this.stored === 0) return false;
    await this.load();
    if (got && got.etag === this.etag0 && got.body.length === blockLength(0, this.size, this.B)) {
      this.cacheClean(0, got.body);
    }
    return true;
  }
}
