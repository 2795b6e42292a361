// The layout-free core of a file of the block store (a database, a journal): its size, its
// cached blocks, the blocks written but not yet uploaded, read-ahead, range reads and the
// read-modify-write of partial blocks. Byte-level reads and writes become block reads and
// writes here. Where the blocks live in the bucket, how they go up and what makes a
// commit is each layout's: compat/seed-file.ts (the Python library's layout),
// versioned/versioned-file.ts (a manifest of immutable blocks) and versioned/memory-file.ts
// (a versioned database's journal, never uploaded). FileTable asks no file which layout it
// is in: it asks the questions below.
import { crc32 } from 'node:zlib';
import type { CacheOwner } from './block-cache';
import { blockCount, blockLength } from './blocks';
import { S3VFSError } from '../errors';
import { mapLimit } from './map-limit';
import type { GetResult } from './object-store';
import type { DiskCache } from './disk-cache';
import type { StoreContext } from './store-context';
import { SpillFile } from './spill-file';
import { ByteRanges } from './byte-ranges';

/** Bytes written into one block on the main thread, at `offset` within the block. */
export interface BlockWrite {
  index: number;
  offset: number;
  bytes: Uint8Array;
}

/** The bytes a read wants, whether the main thread's cache is full (a piece of a block
 *  then serves it better than the whole block), and whether it would read the block from a
 *  file on this machine's disk itself. */
export interface ReadWant {
  offset: number;
  amount: number;
  cacheFull?: boolean;
  fileOk?: boolean;
}

/** Where the main thread may read block `index` itself: its entry in this machine's disk
 *  cache (`length` bytes of data), and the CRC32 the layout records for it, if any. */
export interface DiskEntry {
  index: number;
  length: number;
  path: string;
  crc32?: number;
}

/** What a read asked the worker for: whole blocks, a piece of one (a range GET), or the
 *  entries in this machine's disk cache of the block asked for (first) and others near it. */
// Blocks and pieces are views of cached blocks, valid until the next await: the bridge copies them at once.
export type BlocksRead =
  | { data: Uint8Array[]; count: number }
  | { piece: Uint8Array; start: number }
  | { files: DiskEntry[] };

/** A whole database written anew (vfs.deserialize): blocks from 1, then block 0 and the
 *  layout's commit; or abort, which removes what was uploaded. */
export interface Replacement {
  putBlock(index: number, bytes: Uint8Array): Promise<void>;
  commit(size: number, block0: Uint8Array): Promise<void>;
  abort(fromIndex: number): Promise<void>;
}

let nextOwnerId = 1;

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const READ_AHEAD_BYTES = 32 << 20;
/** A block changed in more than this fraction goes up whole whatever the layout: its
 *  changes stop being tracked. */
const TRACKED_FRACTION = 0.5;
const MIN_PIECES_TRIED = 8;
/** Blocks whose disk-cache entries a READ_BLOCKS_FILE answer names at most: a quarter before
 *  the block asked for, the rest after it (a scan goes on, lookups land anywhere); the
 *  bridge carries as many as fit. */
const FILES_NEAR = 512;

export abstract class CachedFile implements CacheOwner {
  /** Size including writes not yet uploaded. */
  size = 0;
  openCount = 0;
  /** Blocks that exist in the bucket, as of the last load or upload. */
  protected stored = 0;
  protected readonly blocks = new Map<number, Uint8Array>();
  /** Blocks written and not yet uploaded: in `blocks`, or (a large transaction's) in `spill`. */
  protected readonly dirty = new Set<number>();
  /** Dirty blocks moved out of memory to this machine's disk (spill()). */
  private spillFile: SpillFile | undefined;
  /**
   * The bytes of each written block changed since it last went up, where known (versioned
   * patches upload only those); null or absent for a dirty block: changed as a whole.
   */
  protected readonly changed = new Map<number, ByteRanges | null>();
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
  /** Where the bytes last sent to the main thread ended: its next miss starting exactly
   *  there is a scan going on (a lookup almost never lands there). */
  private servedEnd = -1;
  /** When revalidate() last asked S3. */
  protected validatedAt = 0;
  /** What this file holds may not be what S3 holds (an upload failed): read S3 again. */
  private isStale = false;
  protected get stale(): boolean {
    return this.isStale;
  }
  /** Becoming stale is news for the main thread, which may be skipping revalidation. */
  protected set stale(value: boolean) {
    this.isStale = value;
    if (value) this.ctx.news();
  }
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

  // ---- What each layout says about itself and does its own way ----

  /** Reads the file's state from the bucket (its size, where its blocks are). */
  abstract load(): Promise<void>;

  /** The object that holds block `index` (which lies below `stored`). */
  protected abstract keyOf(index: number): string;

  /** Whether crash safety rests on the order in which this file's writes reach the bucket
   *  relative to the other files of its database (the seed layout's rollback journal):
   *  FileTable then uploads the family in SQLite's order. */
  abstract get ordered(): boolean;

  /** The file lives in the main thread's memory only (a versioned database's journal). */
  get inMemory(): boolean {
    return false;
  }

  /** Written blocks go up, without committing anything: to free memory in a long
   *  transaction, or (ordered files) in the order FileTable keeps. */
  abstract upload(): Promise<void>;

  /** SQLite's durability point for this file (xSync): the versioned layout's commit. An
   *  ordered file's commit point is its journal's end, which FileTable keeps. */
  abstract commit(): Promise<void>;

  /** Checks whether another client changed the file since it was cached; true (and the
   *  cache dropped) if so. Asks S3 at most once per `within` ms. */
  abstract revalidate(within?: number): Promise<boolean>;

  /** For how long from now read transactions may begin without revalidate(within), unless
   *  the main thread hears news (StoreContext.news): none, unless the layout can say. */
  freshForMs(_within: number): number {
    return 0;
  }

  /** Deletes the file from the bucket. */
  abstract remove(): Promise<void>;

  /** The file of a name SQLite derives from this database's (its journal, ...). */
  abstract derivedFile(name: string): Promise<CachedFile>;

  /** Starts writing the whole database anew (vfs.deserialize). */
  abstract startReplace(blockSize: number): Promise<Replacement>;

  /** The start of a write transaction (a versioned database takes its lease). */
  async beginWrite(): Promise<void> {}

  /** The last handle on the file was closed (a versioned database lets its lease go). */
  async lastClosed(): Promise<void> {}

  /** At the end of a write transaction or a close: writes SQLite never committed are
   *  dropped where the layout has nothing to roll them back with. True if any were. */
  dropUncommitted(): boolean {
    return false;
  }

  /**
   * Throws if the bytes read for block `index` from object `key` (null: only part of them, a
   * range GET) are not what the layout says that object holds (`sum`: their CRC32, when the
   * caller has it). Nothing, unless the layout records something to check.
   */
  checkBlock(_index: number, _key: string, _bytes: Uint8Array | null, _sum?: number): void {}

  /** The CRC32 the layout records for block `index`'s bytes, if it records one. */
  protected recordedCrc32(_index: number): number | undefined {
    return undefined;
  }

  /** Whether block `index`'s object never changes, so that this machine's disk may keep it
   *  (ctx.disk). Only the layout knows; nothing is kept unless it says so. */
  protected immutable(_index: number): boolean {
    return false;
  }

  /** Hands what the file keeps for this machine's disk cache over to it now (at shutdown):
   *  nothing, unless the layout keeps such. */
  flushKept(): void {}

  /** Block `index`'s bytes, as the layout lists it, that this file still has outside its
   *  cache (uploaded and not yet on this machine's disk); none unless the layout keeps such. */
  protected keptCopy(_index: number): Uint8Array | undefined {
    return undefined;
  }

  /** Caches block `index` from the copy the layout keeps of it (keptCopy), if any. */
  private adoptKept(index: number): Uint8Array | undefined {
    const kept = this.keptCopy(index);
    if (kept) this.cacheClean(index, kept);
    return kept;
  }

  /** Whether a block fetched from the bucket may be cached: false when it shows that the
   *  file changed under this reader (the next revalidate() reloads it). */
  protected fetchedIsCurrent(_index: number, _got: NonNullable<GetResult>): boolean {
    return true;
  }

  /** The bytes of `key`, the object that holds block `index` (`want` bytes long): one GET,
   *  unless the layout builds the block from several objects. */
  protected getObject(_index: number, key: string, _want: number): Promise<GetResult> {
    return this.ctx.s3.get(key);
  }

  /** Whether part of block `index` can be read by a range GET of its object (not when the
   *  layout builds it from several). */
  protected rangeReadable(_index: number): boolean {
    return true;
  }

  // ---- The cache, shared by every layout ----

  /** The disk cache that may hold block `index`, if any. */
  protected diskFor(index: number): DiskCache | undefined {
    return this.ctx.disk && index < this.stored && this.immutable(index) ? this.ctx.disk : undefined;
  }

  /** Block `index` from this machine's disk, checked as a GET's bytes are; a damaged copy is
   *  deleted (and the block fetched from S3). */
  private async fromDisk(disk: DiskCache, index: number, key: string, length: number): Promise<Uint8Array | undefined> {
    const local = await disk.get(key, length);
    if (!local) return undefined;
    try {
      this.checkBlock(index, key, local.bytes, local.crc32);
      return local.bytes;
    } catch {
      await disk.drop(key);
      return undefined;
    }
  }

  get exists(): boolean {
    return this.size > 0;
  }

  /** Bytes written and not yet uploaded that are held in memory. */
  get dirtyBytes(): number {
    return (this.dirty.size - (this.spillFile?.count ?? 0)) * this.B;
  }

  private spilled(index: number): boolean {
    return this.spillFile?.has(index) ?? false;
  }

  /**
   * Moves the written blocks held in memory to this machine's disk, where they wait for
   * the upload: a transaction larger than the cache then costs one PUT per block it
   * touched, not one per time it touched it. False where no spill file can be written (a
   * full or read-only temporary directory): the caller then uploads them early instead, as
   * an OS writes back dirty pages (correct, only dearer), in the order its layout needs.
   *
   * The least recently written go first, until `keepBytes` are left in memory: the blocks
   * a transaction is writing now (a table's last pages in a load, the hot part of an
   * index) stay, since a page written to a spilled block costs a disk write of its own.
   */
  async spill(keepBytes = 0): Promise<boolean> {
    const spill = (this.spillFile ??= new SpillFile(this.B, this.ctx.spillDir));
    // The block size may have changed since it was made (a reload): slots follow it.
    if (spill.count === 0) spill.clear(this.B);
    try {
      for (const i of [...this.writes.keys()]) {
        if (this.dirtyBytes <= keepBytes) break;
        if (!this.dirty.has(i)) continue;
        const bytes = this.blocks.get(i);
        if (!bytes || spill.has(i)) continue;
        const before = this.writesOf(i);
        // Written again while it went to disk: it stays in memory, the newer copy.
        const moved = () => {
          if (this.writesOf(i) !== before || this.blocks.get(i) !== bytes || !this.dirty.has(i)) return false;
          this.blocks.delete(i);
          return true;
        };
        if (!(await spill.write(i, bytes, moved))) continue;
        this.ctx.cache.counters.add('bytesSpilled', bytes.length);
      }
      return true;
    } catch {
      return false;
    }
  }

  /** Written blocks at or past `count` (the file shrank): nothing to upload. */
  protected forgetDirtyFrom(count: number): void {
    for (const i of [...this.dirty]) if (i >= count) this.forgetDirty(i);
  }

  /** Block `index` is no longer written-and-not-uploaded, wherever it waited. */
  private forgetDirty(index: number): void {
    this.dirty.delete(index);
    this.changed.delete(index);
    this.spillFile?.delete(index);
  }

  /** A written block's bytes, from memory or from the spill file. */
  protected async dirtyContent(index: number): Promise<Uint8Array> {
    return this.blocks.get(index) ?? this.spillFile!.read(index);
  }

  get isDirty(): boolean {
    return this.dirty.size > 0 || this.stored !== blockCount(this.size, this.B);
  }

  /** The object that holds block `index` of the file as last read or written. */
  objectKey(index: number): string {
    return this.keyOf(index);
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
    this.changed.clear();
    this.spillFile?.clear(this.B);
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
    this.spillFile?.delete(index);
    this.dirty.add(index);
    this.countWrite(index);
  }

  /** Bytes [start, end) of block `index` are about to change. A block written before in
   *  a way not tracked stays changed as a whole. */
  private noteChange(index: number, start: number, end: number): void {
    let r = this.changed.get(index);
    if (r === undefined && !this.dirty.has(index)) this.changed.set(index, (r = new ByteRanges()));
    if (!r) return;
    r.add(start, end);
    if (r.total > this.B * TRACKED_FRACTION) this.changed.set(index, null);
  }

  /** Block `index` changes as a whole (or in a way a patch cannot say). */
  private noteWhole(index: number): void {
    this.changed.set(index, null);
  }

  private countWrite(index: number): void {
    const n = (this.writes.get(index) ?? 0) + 1;
    // Moved to the end: the map lists blocks from the least recently written (spill()).
    this.writes.delete(index);
    this.writes.set(index, n);
  }

  /** Changes a spilled block where it waits, counted as a write (an upload under way of
   *  its older bytes then leaves it dirty). */
  private async patchSpilled(index: number, offset: number, bytes: Uint8Array, length: number): Promise<void> {
    this.noteChange(index, offset, offset + bytes.length);
    this.countWrite(index);
    await this.spillFile!.patch(index, offset, bytes, length);
  }

  /** Whether this file holds block `index` itself (cached, or written and not uploaded):
   *  a fetch from S3 would bring nothing newer. */
  private held(index: number): boolean {
    return this.blocks.has(index) || this.dirty.has(index);
  }

  /**
   * Ends the upload of block `index` that started when its write count was `writesBefore`:
   * the block is clean unless it was written again meanwhile (a write served while an
   * upload that a request of another kind started was under way), in which case it stays
   * dirty, to go up again whole. False then.
   */
  protected uploaded(index: number, writesBefore: number, bytes: Uint8Array | undefined): boolean {
    if ((this.writes.get(index) ?? 0) !== writesBefore) return false;
    this.forgetDirty(index);
    // Without its bytes (a spilled block read in part), it leaves memory as if evicted; a
    // fetch of its older object still under way must not serve the next read.
    if (bytes) this.cacheClean(index, bytes);
    else {
      this.blocks.delete(index);
      this.fetching.delete(index);
    }
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
    if (this.spilled(index)) return this.spillFile!.read(index);
    if (index >= this.stored) return new Uint8Array(blockLength(index, this.size, this.B));
    const kept = this.adoptKept(index);
    if (kept) {
      this.ctx.cache.counters.add('cacheHits');
      return kept;
    }
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
      if (!this.held(j) && !this.fetching.has(j)) this.fetch(j).catch(() => undefined);
    }
  }

  /**
   * Block `index`'s `want` bytes from this machine's disk, else from S3 (`got`: S3's answer),
   * checked as the layout says and then kept on disk. Not cached in memory: the caller's choice.
   */
  private async blockBytes(index: number, key: string, want: number): Promise<{ body: Uint8Array; got?: NonNullable<GetResult> }> {
    const disk = this.diskFor(index);
    const local = disk && (await this.fromDisk(disk, index, key, want));
    if (local) return { body: local };
    const got = await this.getObject(index, key, want);
    if (!got) throw this.vanished(index, key);
    if (got.body.length !== want) {
      throw new S3VFSError(`block ${index} of '${this.name}' has ${got.body.length} bytes, expected ${want}: changed by another client?`, 'ECHANGED');
    }
    // One CRC32 for both the check and the disk's trailer.
    const sum = disk ? crc32(got.body) : undefined;
    this.checkBlock(index, key, got.body, sum);
    disk?.put(key, got.body, sum);
    return { body: got.body, got };
  }

  /** Whether block `index` is still the object `key` (the file may have moved on). */
  private stillAt(index: number, key: string): boolean {
    try {
      return this.keyOf(index) === key;
    } catch {
      return false; // no longer in the file
    }
  }

  /** GETs a block into the cache (unless the cache was invalidated meanwhile). */
  private fetch(index: number): Promise<Uint8Array> {
    const generation = this.generation;
    const want = blockLength(index, this.size, this.B);
    const key = this.keyOf(index);
    const p = (async () => {
      const { body, got } = await this.blockBytes(index, key, want);
      // A block written meanwhile (in memory or spilled) is newer than what S3 holds, and
      // one uploaded meanwhile is another object now.
      if (generation !== this.generation || this.held(index) || !this.stillAt(index, key) || (got && !this.fetchedIsCurrent(index, got))) return body;
      this.cacheClean(index, body);
      return body;
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
  async readBlocks(first: number, count: number, maxBytes: number, want?: ReadWant): Promise<BlocksRead> {
    const got = await this.blocksFor(first, count, maxBytes, want);
    this.servedEnd =
      'piece' in got ? got.start + got.piece.length
      : 'files' in got ? got.files[0].index * this.B + got.files[0].length
      : got.data.reduce((end, b) => end + b.length, first * this.B);
    return got;
  }

  private async blocksFor(first: number, count: number, maxBytes: number, want?: ReadWant): Promise<BlocksRead> {
    const range = want && count === 1 ? this.pieceFor(first, want.offset, want.amount) : undefined;
    // A block on this machine's disk is read whole from there rather than in a piece from S3.
    const disk = range && this.diskFor(first);
    if (range && !(disk && (await disk.has(this.keyOf(first))))) return { piece: await this.fetchPiece(first, range.start, range.end), start: range.start };
    // With the main thread's cache full, only a scan gets whole blocks. Block numbers alone
    // cannot tell: lookups often land in the block after the last one, and blocks sent
    // ahead would make the next lookup look like the scan's next step.
    const scan = want !== undefined && want.offset === this.servedEnd;
    if (want && count === 1) {
      // A block held here (or on its way) goes across whole while the main thread's cache has room for it;
      // one on disk is read from there, in a scan too (a whole block crossing costs two
      // copies into new memory, and its pages are read once).
      const fileOk = want.fileOk && (want.cacheFull || (!this.blocks.has(first) && !this.fetching.has(first)));
      const local = (fileOk && (await this.filesNear(first))) || (want.cacheFull && !scan && (await this.pieceOfBlock(first, want)));
      if (local) return local;
    }
    const parts: Uint8Array[] = [];
    let bytes = 0;
    const total = blockCount(this.size, this.B);
    // Blocks past those asked for go along only in a scan, and only while the main
    // thread's cache has room: in random access (B-tree lookups, index inserts) they would
    // cross the bridge for nothing, and into a full cache they would push out blocks in use
    // (a scan then crosses once per block, which costs little).
    const sequential = !want?.cacheFull && (first === this.lastBlock + 1 || this.window > 0);
    for (let i = first; i < total; i++) {
      const len = blockLength(i, this.size, this.B);
      if (bytes + len > maxBytes) break;
      if (i >= first + count && (!sequential || !this.blocks.has(i))) break;
      parts.push(await this.block(i));
      bytes += len;
    }
    return { data: parts, count: parts.length };
  }

  /**
   * The aligned rangeReadSize bytes around a read out of sequence, from the whole block
   * (kept here), when the main thread's cache is full: with a working set larger than that
   * cache, a whole block crossing the bridge for every page read would evict another that
   * the next read needs (B-tree lookups, index inserts in a large database), and cost a
   * 1 MiB copy for 4 KiB. A scan still gets whole blocks.
   */
  private async pieceOfBlock(index: number, want: ReadWant): Promise<{ piece: Uint8Array; start: number } | undefined> {
    const range = this.alignedRange(index, want.offset, want.amount);
    if (!range) return undefined;
    const base = index * this.B;
    // A spilled block is read in part: reading it whole for a page would cost the disk a block.
    const piece = !this.blocks.has(index) && this.spilled(index)
      ? await this.spillFile!.readRange(index, range.start - base, range.end - base)
      : (await this.block(index)).subarray(range.start - base, range.end - base);
    this.lastBlock = index;
    this.window = 0;
    return { piece, start: range.start };
  }

  /**
   * The entries in this machine's disk cache of block `index` and of the blocks near it: the
   * main thread then reads their pages from there itself, as the OS serves a local database
   * from its page cache, checking each chunk the first time it reads it, and crosses the
   * bridge for those blocks no more (with a working set larger than its cache, every read
   * crossed for a piece, and a whole block cost a copy into new memory). The block asked for
   * is on disk; the others are named unchecked (a missing one costs the main thread a failed
   * open, then a request as before). Only blocks as the layout lists them: one written
   * since is not that entry.
   */
  private async filesNear(index: number): Promise<{ files: DiskEntry[] } | undefined> {
    const disk = this.diskFor(index);
    const first = disk && this.entryOnDisk(index, disk);
    if (!first) return undefined;
    const key = this.keyOf(index);
    const generation = this.generation;
    if (!(await disk.has(key))) return undefined;
    // Written, uploaded or dropped meanwhile: no longer that block.
    if (generation !== this.generation || this.dirty.has(index) || !this.stillAt(index, key) || first.length !== blockLength(index, this.size, this.B)) return undefined;
    const files = [first];
    const from = Math.max(0, index - FILES_NEAR / 4);
    for (let i = from; i < Math.min(this.stored, from + FILES_NEAR); i++) {
      const entry = i === index ? undefined : this.entryOnDisk(i, disk);
      if (entry) files.push(entry);
    }
    this.lastBlock = index;
    this.window = 0;
    return { files };
  }

  /** Where block `index` would be in `disk`, if the layout lists it as an object that the
   *  disk may keep and nothing written here waits in it. */
  private entryOnDisk(i: number, disk: DiskCache): DiskEntry | undefined {
    if (this.dirty.has(i) || this.diskFor(i) !== disk) return undefined;
    const key = this.keyOf(i);
    try {
      this.checkBlock(i, key, null); // an object listed in another block's place is never read
    } catch {
      return undefined;
    }
    return { index: i, length: blockLength(i, this.size, this.B), path: disk.pathOf(key), crc32: this.recordedCrc32(i) };
  }

  /** The aligned range of rangeReadSize bytes of block `index` around a read; undefined when
   *  the block is not much larger than that, or the read is not within it. */
  private alignedRange(index: number, offset: number, amount: number): { start: number; end: number } | undefined {
    const R = this.ctx.rangeReadSize;
    const len = blockLength(index, this.size, this.B);
    if (R <= 0 || len < 4 * R) return undefined;
    const blockStart = index * this.B;
    const blockEnd = blockStart + len;
    const start = blockStart + Math.floor((offset - blockStart) / R) * R;
    const end = Math.min(blockEnd, blockStart + Math.ceil((offset + amount - blockStart) / R) * R);
    if (offset < blockStart || end <= start || offset + amount > blockEnd) return undefined;
    return { start, end };
  }

  /**
   * The aligned range of rangeReadSize bytes around a read, when a range GET pays: a
   * block much larger than that, met for the first time out of sequence (a lookup). A
   * scan, a block read in pieces before or one already here or on its way is read whole.
   */
  private pieceFor(index: number, offset: number, amount: number): { start: number; end: number } | undefined {
    if (index >= this.stored || index === this.lastBlock + 1 || !this.rangeReadable(index)) return undefined;
    if (this.held(index) || this.fetching.has(index) || this.pieced.has(index)) return undefined;
    // A range GET pays when most blocks are read once (sparse lookups in a large file); a
    // block read again costs a second GET. Give up once a third of them were.
    if (this.piecesTried >= MIN_PIECES_TRIED && this.piecesWasted * 3 > this.piecesTried) return undefined;
    return this.alignedRange(index, offset, amount);
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
      throw new S3VFSError(`block ${index} of '${this.name}' gave ${got.body.length} bytes for a range of ${end - start}: changed by another client?`, 'ECHANGED');
    }
    this.checkBlock(index, key, null);
    return got.body;
  }

  protected vanished(index: number, key: string): Error {
    return new S3VFSError(
      `block ${index} of '${this.name}' (${key}) has vanished from the bucket: deleted by another client, ` +
        'or by vfs.gc with an olderThan shorter than this read transaction?',
      'EVANISHED',
    );
  }

  /** Fetches every block not cached yet, in parallel, up to `maxBytes`. */
  async prefetch(maxBytes: number): Promise<number> {
    const wanted: number[] = [];
    for (let i = 0; i < this.stored && (wanted.length + 1) * this.B <= maxBytes; i++) {
      if (!this.held(i) && !this.fetching.has(i)) wanted.push(i);
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
      const s = Math.max(offset, start);
      const e = Math.min(end, start + newLen);
      if (this.spilled(i)) {
        await this.patchSpilled(i, s - start, data.subarray(s - offset, Math.max(s, e) - offset), newLen);
        continue;
      }
      const content = await this.writableBlock(i, newLen, oldLen, offset <= start && end >= start + newLen);
      // A block that only grows (zero-filled) changes no byte it had.
      this.noteChange(i, s - start, Math.max(s, e) - start);
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
        throw new S3VFSError(`a write of ${bytes.length} bytes at ${offset} in block ${index} of '${this.name}' passes its end (${newLen} bytes)`, 'EPROTO');
      }
      const whole = offset === 0 && bytes.length === newLen;
      if (!whole && this.spilled(index)) {
        // Changed on disk where it waits: reading it back whole for a page would cost the
        // disk what the spill saved S3.
        await this.patchSpilled(index, offset, bytes, newLen);
        continue;
      }
      if (!whole && (missing.has(index) || (index < this.stored && !this.blocks.has(index)))) {
        // On this machine's disk, the rest of the block is near enough for the main thread
        // to wait for: the block then keeps track of the bytes changed (a patch, not a
        // whole block, in the versioned layout).
        if (missing.has(index) || !(await this.fetchFromDisk(index))) {
          missing.add(index);
          continue;
        }
      }
      const content = await this.writableBlock(index, newLen, blockLength(index, this.size, this.B), whole);
      // Sent whole, it may be a block this worker did not hold (see above): which of its
      // bytes changed is unknown here.
      if (whole) this.noteWhole(index);
      else this.noteChange(index, offset, offset + bytes.length);
      content.set(bytes, offset);
      this.setDirty(index, content);
    }
    this.size = newSize;
    return [...missing];
  }

  /** Caches block `index` if this machine's disk has it; false if not. */
  private async fetchFromDisk(index: number): Promise<boolean> {
    if (this.adoptKept(index)) return true;
    const disk = this.diskFor(index);
    if (!disk || !(await disk.has(this.keyOf(index)))) return false;
    await this.fetch(index).catch(() => undefined); // then the main thread sends it whole
    return this.blocks.has(index);
  }

  /** Shrinks the file; like the seed, never grows it. */
  async truncate(newSize: number): Promise<void> {
    if (newSize >= this.size) return;
    const B = this.B;
    const count = blockCount(newSize, B);
    const tail = newSize - (count - 1) * B;
    if (count > 0 && tail < B) {
      const last = await this.block(count - 1);
      this.noteWhole(count - 1);
      this.setDirty(count - 1, last.slice(0, tail));
    }
    for (const i of [...this.blocks.keys(), ...this.dirty]) {
      if (i >= count) {
        this.ctx.cache.remove(this.ownerId, i);
        this.blocks.delete(i);
        this.forgetDirty(i);
      }
    }
    this.size = newSize;
  }

  /**
   * Blocks [from, from + count) of a file of `size` bytes in blocks of `blockSize`, fetched
   * in parallel past the cache, concatenated (vfs.serialize, which must not evict what
   * queries use).
   */
  async readUncached(from: number, count: number, size: number, blockSize: number): Promise<Uint8Array> {
    const indexes = Array.from({ length: count }, (_, i) => from + i);
    const parts = await mapLimit(indexes, this.ctx.concurrency, async (i) => {
      return (await this.blockBytes(i, this.objectKey(i), blockLength(i, size, blockSize))).body;
    });
    return concat(parts);
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
}
