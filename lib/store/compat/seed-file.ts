// A file in the seed layout (the Python library sqlite-s3vfs's; docs/FORMAT.md): block i of
// the file N is the object N/0000000000 + i, overwritten in place. There is no manifest:
// a listing of the blocks tells the size, and crash safety rests on SQLite's rollback
// journal, itself a file in this layout, reaching the bucket before the database does
// (FileTable keeps that order, since these files are `ordered`).
import { randomBytes } from 'node:crypto';
import { S3VFSError } from '../../errors';
import { blockCount, blockLength } from '../blocks';
import { CachedFile, type Replacement } from '../cached-file';
import { putResolved } from '../conditional-put';
import { isJournalName } from '../family';
import { mapLimit } from '../map-limit';
import type { GetResult } from '../object-store';
import type { StoreContext } from '../store-context';
import { blockIndexOf, blockKey, blockPrefix, readListing } from './block-layout';
import { EtagTable } from './etag-table';
import { SeedReplace } from './seed-replace';

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

export class SeedFile extends CachedFile {
  /** Blocks in the bucket that are not part of the file (see readListing). */
  private orphans: number[] = [];
  private etag0: string | undefined;
  /** What each block object in the bucket holds, as this writer last saw it (listed or put). */
  private readonly etags = new EtagTable();
  /** Block 0 in the bucket is a journal's tombstone (see dropBlocks): the file is empty. */
  private emptyBlock0 = false;

  /** A file of this layout, read from the bucket. */
  static async open(name: string, ctx: StoreContext, blockSize = ctx.blockSize): Promise<SeedFile> {
    const f = new SeedFile(name, ctx, blockSize);
    await f.load();
    return f;
  }

  get ordered(): boolean {
    return true;
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

  protected keyOf(index: number): string {
    return blockKey(this.name, index);
  }

  /** Block 0 with another ETag than the listing's: another client changed the file since
   *  it was listed (SQLite reads the header before it takes a lock). The old ETag is kept,
   *  so the next revalidate() reloads. */
  protected override fetchedIsCurrent(index: number, got: NonNullable<GetResult>): boolean {
    if (index !== 0) return true;
    if (this.etag0 !== undefined && got.etag !== this.etag0) return false;
    this.etag0 = got.etag;
    return true;
  }

  /**
   * Uploads written blocks, in parallel, in an order that a writer killed at any point
   * leaves a listing readListing understands: blocks past the end are deleted first (a
   * stale full block after a new short one would read as part of the file), and a short
   * block 0 is filled before block 1 appears. Other blocks may land in any order; until
   * all have, the file ends at the first gap or short block, and the journal restores it.
   */
  async upload(): Promise<void> {
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
      const before = this.writesOf(i);
      const bytes = await this.dirtyContent(i);
      const etag = await this.putBlock(i, bytes);
      if (i === 0) this.emptyBlock0 = false;
      if (!this.uploaded(i, before, bytes)) return;
      if (i === 0) this.etag0 = etag;
    };
    // Block 0 tells readers the block size, so a short block 0 is filled before block 1
    // can appear. A later short block needs no such care: past it, blocks are orphans.
    if (this.stored === 1 && this.dirty.has(0)) await upload(0);
    // A journal's block 0 holds the header that makes its records count: it goes up after
    // the rest, so that a crash never leaves a header counting records (or a stale header of
    // an older transaction, which SQLite zeroes at the end of this one's records) that the
    // bucket does not have yet.
    const headerLast = isJournalName(this.name) && this.dirty.has(0) && this.dirty.size > 1;
    await mapLimit([...this.dirty].filter((i) => !(headerLast && i === 0)).sort((a, b) => a - b), this.ctx.concurrency, upload);
    if (headerLast && this.dirty.has(0)) await upload(0);
    this.stored = count;
    this.orphans = [];
  }

  /** The seed layout has no commit of its own: a transaction is committed when its journal
   *  ends, and FileTable uploads the family in the order that makes that so. */
  async commit(): Promise<void> {
    await this.upload();
  }

  async derivedFile(name: string): Promise<CachedFile> {
    return SeedFile.open(name, this.ctx, this.B);
  }

  /** A journal left by an old crash would be "rolled back" onto the new bytes: it goes first. */
  async startReplace(blockSize: number): Promise<Replacement> {
    const journal = await SeedFile.open(`${this.name}-journal`, this.ctx, this.B);
    await journal.remove();
    return new SeedReplace(this.name, this.ctx.s3, blockSize);
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
