// A database in the versioned layout (docs/FORMAT.md): its blocks are immutable objects
// listed by N/manifest.json. Writes upload new block objects; a commit then replaces the
// manifest with one conditional PUT, which is the commit point: a crash before it leaves
// the old database whole, after it the new one. Only the holder of the lease commits.
import { crc32 } from 'node:zlib';
import { S3VFSError } from '../../errors';
import { blockCount } from '../blocks';
import { CachedFile, concat, type Replacement } from '../cached-file';
import type { StoreContext } from '../store-context';
import { MemoryFile } from './memory-file';
import { BusyError, Lease } from './lease';
import {
  emptyManifest,
  leaseKey,
  blockCrc32,
  crc32Hex,
  blockKeyParts,
  manifestKey,
  newBlockKey,
  newPatchKey,
  listedKeys,
  type BlockEntry,
  pageSizeOf,
  parseManifest,
  type Manifest,
} from './manifest';
import { commitManifest } from './manifest-commit';
import { resolveManifest } from './manifest-map';
import { VersionedLoad } from './versioned-load';
import type { GetResult } from '../object-store';
import { mapLimit } from '../map-limit';
import { blockLength } from '../blocks';
import { applyPatches, MAX_BLOCKS_PER_PATCH, patchRange, planPatch, runsOf, type PatchPlan } from './patches';

/** Patch objects that go up at once: each holds up to MAX_BLOCKS_PER_PATCH blocks' changes. */
const PATCH_LANES = 4;

/** Bytes of block `index` to keep in the disk cache under `key`, with their CRC32. */
interface DiskItem {
  index: number;
  key: string;
  bytes: Uint8Array;
  sum: number;
}

/** The memory an item keeps alive: its whole buffer (a block's has room for a whole block). */
function heldBytes(item: DiskItem): number {
  return item.bytes.buffer.byteLength;
}

/** A block whose changes go up in a patch object, planned against its entry `base` when
 *  it had been written `before` times. */
interface PatchItem {
  index: number;
  base: BlockEntry;
  plan: PatchPlan;
  before: number;
}

/** A refresh in the background (maxStalenessMs) never asks more often than this. */
const MIN_REFRESH_MS = 50;
/** Periods without a read transaction after which the refresh stops. */
const IDLE_REFRESHES = 20;

/** The CRC32 a manifest records for a block's bytes (as rebuilt, for a patched block), if any. */
function recordedCrcHex(e: BlockEntry): string | undefined {
  return e.patches ? e.patchedCrc32 : e.crc32;
}

export class VersionedFile extends CachedFile {
  /** The manifest this file's content is read from; null before the first commit. */
  manifest: Manifest | null = null;
  private etag: string | undefined;

  get manifestEtag(): string | undefined {
    return this.etag;
  }
  /** What a refresh in the background found (maxStalenessMs), for the next read transaction:
   *  the answer to a conditional GET on `etag`, sent at `at`. */
  private refreshed: { got: GetResult | 'unchanged'; at: number; etag: string | undefined } | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** When a read transaction last began: the refresh stops once none does. */
  private lastReadAt = 0;
  /** The fewest blocks the file had since the last commit: an entry at or past it (a block
   *  truncated away, then written again) is no base for a patch. */
  private shrunkTo = Infinity;
  /** Blocks uploaded since the last commit, not yet in a manifest: index -> relative key. */
  private readonly uploadedBlocks = new Map<number, BlockEntry>();
  /** During a commit: uploaded bytes to keep in the disk cache once the manifest is in. */
  private diskAfterCommit: DiskItem[] | undefined;
  private diskAfterCommitBytes = 0;
  /** Committed blocks not yet in the disk cache, the latest of each, and their bytes. */
  private readonly diskQueue = new Map<number, DiskItem>();
  private diskQueueBytes = 0;
  private readonly lease: Lease;

  constructor(name: string, ctx: StoreContext, blockSize: number, leaseTtlMs: number) {
    super(name, ctx, blockSize);
    this.lease = new Lease(ctx.s3, leaseKey(name), leaseTtlMs);
  }

  /** Reads the manifest: one GET, no LIST (and its map pages, for a large database). What
   *  it read is as fresh as a check made when it asked: under maxStalenessMs the first read
   *  transaction after an open need not ask again (strict readers always do). */
  async load(): Promise<void> {
    const asked = Date.now();
    await this.apply(await this.ctx.s3.get(manifestKey(this.name)));
    this.validatedAt = asked;
  }

  private async apply(got: GetResult): Promise<void> {
    const parsed = got ? parseManifest(manifestKey(this.name), got.body) : null;
    const manifest = parsed && (await resolveManifest(this.ctx.s3, this.name, parsed, this.manifest, this.ctx.disk));
    this.dropCache();
    this.uploadedBlocks.clear();
    this.shrunkTo = Infinity;
    this.stale = false;
    this.manifest = manifest;
    this.etag = got?.etag;
    if (this.manifest) this.B = this.manifest.blockSize;
    this.size = this.manifest?.size ?? 0;
    this.stored = this.manifest?.blocks.length ?? 0;
  }

  protected keyOf(index: number): string {
    return this.localKey(this.entry(index));
  }

  /** The name this machine gives a block's bytes: its object's key, or for a patched block
   *  that key and its last patch's (which together name its whole history), not an object
   *  in the bucket. */
  private localKey(e: BlockEntry): string {
    const last = e.patches?.[e.patches.length - 1];
    return last ? `${this.name}/${e.key}+${last.key}` : `${this.name}/${e.key}`;
  }

  /** A patched block is its base object with the runs of its patches written over it:
   *  fetched in parallel, one range GET per patch. */
  protected override async getObject(index: number, key: string, want: number): Promise<GetResult> {
    const e = this.entryNamed(index, key);
    if (!e?.patches) return super.getObject(index, key, want);
    const baseKey = `${this.name}/${e.key}`;
    const [base, ...parts] = await Promise.all([
      this.baseObject(index, baseKey, e),
      ...e.patches.map((p) => this.ctx.s3.get(`${this.name}/${p.key}`, patchRange(p))),
    ]);
    if (!base) throw this.vanished(index, baseKey);
    if (base.body.length !== e.baseSize || (e.crc32 && blockCrc32(base.body) !== e.crc32)) {
      throw new S3VFSError(`block ${index} of '${this.name}' has a damaged base object ${baseKey}: not the ${e.baseSize} bytes with CRC32 ${e.crc32} the manifest records`, 'ECORRUPT');
    }
    const bodies = parts.map((got, j) => {
      const p = e.patches![j];
      const { start, end } = patchRange(p);
      if (!got) throw this.vanished(index, `${this.name}/${p.key}`);
      if (got.body.length !== end - start) throw new S3VFSError(`patch ${this.name}/${p.key} gave ${got.body.length} bytes for block ${index}'s ${end - start}`, 'ECORRUPT');
      return got.body;
    });
    return { body: applyPatches(base.body, want, e.patches, bodies) };
  }

  /** A patched block's base object: from this machine's disk when it is there (read
   *  before it was patched, on this machine), else from S3. */
  private async baseObject(index: number, key: string, e: BlockEntry): Promise<GetResult> {
    const local = this.immutable(index) ? await this.ctx.disk?.get(key, e.baseSize!) : undefined;
    if (local && (!e.crc32 || crc32Hex(local.crc32) === e.crc32)) return { body: local.bytes };
    return this.ctx.s3.get(key);
  }

  protected override rangeReadable(index: number): boolean {
    return !this.entry(index).patches;
  }

  /** A block object this layout wrote is never written again (its key is never reused); one
   *  adopted from the seed layout by migrate is the seed's, which could be. */
  protected override immutable(index: number): boolean {
    return (blockKeyParts(this.entry(index).key)?.commit ?? 0) > 0;
  }

  protected override recordedCrc32(index: number): number | undefined {
    const hex = recordedCrcHex(this.entry(index));
    return hex === undefined ? undefined : parseInt(hex, 16);
  }

  /** Block `index` as written since the last commit, or as the manifest lists it. */
  private entry(index: number): BlockEntry {
    const e = this.uploadedBlocks.get(index) ?? this.manifest?.blocks[index];
    if (!e) throw new S3VFSError(`block ${index} of '${this.name}' is in no manifest (the database has ${this.manifest?.blocks.length ?? 0} blocks)`, 'EINVAL');
    return e;
  }

  /** The entry a read of `key` was started from (the file may have moved on since: its
   *  bytes are then dropped anyway). */
  private entryNamed(index: number, key: string): BlockEntry | undefined {
    return [this.uploadedBlocks.get(index), this.manifest?.blocks[index]].find((b) => b && this.localKey(b) === key);
  }

  /** The entry a block's changes since the last upload apply to: none for a block the file
   *  lost to a truncation since the manifest (its bytes start again from zeros). */
  private baseEntry(index: number): BlockEntry | undefined {
    return this.uploadedBlocks.get(index) ?? (index < this.shrunkTo ? this.manifest?.blocks[index] : undefined);
  }

  override async truncate(newSize: number): Promise<void> {
    await super.truncate(newSize);
    const count = blockCount(this.size, this.B);
    this.shrunkTo = Math.min(this.shrunkTo, count);
    for (const i of [...this.uploadedBlocks.keys()]) if (i >= count) this.uploadedBlocks.delete(i);
  }

  /** Bytes in the object an entry names (a patched block's base may be shorter than it). */
  private baseSizeOf(index: number, e: BlockEntry): number {
    return e.baseSize ?? blockLength(index, this.manifest?.size ?? 0, this.B);
  }

  /**
   * A block's bytes must be what its entry says: the object of that block index (swapped
   * entries would put one block's bytes in another's place), and the recorded CRC32.
   */
  override checkBlock(index: number, key: string, bytes: Uint8Array | null, sum?: number): void {
    // The entry the read was started from: if the file has moved on since (a commit, a
    // reload), the read's bytes are dropped anyway.
    const e = this.entryNamed(index, key);
    if (!e) return;
    const parts = blockKeyParts(e.key);
    if (parts && parts.index !== index) {
      throw new S3VFSError(`the manifest of '${this.name}' lists ${e.key} as block ${index}, but that object holds block ${parts.index}`, 'ECORRUPT');
    }
    const expected = recordedCrcHex(e);
    const actual = bytes && expected ? (sum === undefined ? blockCrc32(bytes) : crc32Hex(sum)) : undefined;
    if (actual !== undefined && actual !== expected) {
      const what = e.patches ? `${this.name}/${e.key} and ${e.patches.length} patch(es)` : `${this.name}/${e.key}`;
      throw new S3VFSError(`block ${index} of '${this.name}' (${what}) is damaged: its CRC32 is ${actual}, the manifest records ${expected}`, 'ECORRUPT');
    }
  }

  override get isDirty(): boolean {
    return super.isDirty || this.uploadedBlocks.size > 0 || this.size !== (this.manifest?.size ?? 0);
  }

  get ordered(): boolean {
    return false; // nothing counts until the manifest lists it
  }

  /**
   * Uploads written blocks as new objects, whole or (a few pages changed) as patches;
   * nobody reads them until a manifest lists them.
   */
  async upload(): Promise<void> {
    await this.lease.renewIfDue(); // a long transaction keeps its lease
    const commit = (this.manifest?.commit ?? 0) + 1;
    const count = blockCount(this.size, this.B);
    const whole: number[] = [];
    const patched: PatchItem[] = [];
    for (const i of [...this.dirty].filter((i) => i < count).sort((a, b) => a - b)) {
      const base = this.baseEntry(i);
      const plan = base && planPatch(base, this.baseSizeOf(i, base), this.changed.get(i), blockLength(i, this.size, this.B), this.B);
      if (plan) patched.push({ index: i, base: base!, plan, before: this.writesOf(i) });
      else whole.push(i);
    }
    const groups = Array.from({ length: Math.ceil(patched.length / MAX_BLOCKS_PER_PATCH) }, (_, g) => patched.slice(g * MAX_BLOCKS_PER_PATCH, (g + 1) * MAX_BLOCKS_PER_PATCH));
    await Promise.all([
      mapLimit(groups, PATCH_LANES, (g) => this.uploadPatch(g, commit)),
      mapLimit(whole, this.ctx.concurrency, (i) => this.uploadWhole(i, commit)),
    ]);
    this.forgetDirtyFrom(count);
    this.stored = count;
  }

  private async uploadWhole(i: number, commit: number): Promise<void> {
    const before = this.writesOf(i);
    const bytes = await this.dirtyContent(i);
    const key = newBlockKey(i, commit);
    const sum = crc32(bytes); // of the bytes as they leave: they may change during the PUT
    await this.ctx.s3.put(`${this.name}/${key}`, bytes);
    if (!this.uploaded(i, before, bytes)) return;
    this.uploadedBlocks.set(i, { key, crc32: crc32Hex(sum), baseSize: bytes.length });
    // Unchanged since it left (uploaded() says so), and clean from now on: a later write
    // copies a clean block rather than change it (writableBlock), so no copy is needed here.
    this.keepOnDisk({ index: i, key: `${this.name}/${key}`, bytes, sum });
  }

  /**
   * Keeps uploaded bytes in this machine's disk cache. Making an entry (chunk sums, a file
   * written and renamed) costs the worker a few milliseconds of CPU a block, which a bulk
   * load's commits waited for: during a commit, its entries wait for the manifest (for a
   * commit that fails they are wasted), then in a queue where the next commit's upload of
   * the same block replaces them (a load rewrites its header block and its last block at
   * every commit), until the queue holds a quarter of the cache or the file is closed.
   * Another process on this machine meanwhile reads those blocks from S3.
   */
  private keepOnDisk(item: DiskItem): void {
    if (!this.ctx.disk) return;
    // A commit larger than the queue (a transaction that spilled, say) keeps the rest at
    // once, as before: holding every block it uploaded until its manifest would hold the
    // whole transaction in memory. Their keys are new, so an entry of a commit that then
    // fails is only never read.
    if (this.diskAfterCommit && this.diskAfterCommitBytes < this.diskQueueLimit) {
      this.diskAfterCommit.push(item);
      this.diskAfterCommitBytes += heldBytes(item);
    } else this.ctx.disk.put(item.key, item.bytes, item.sum);
  }

  /** Bytes of blocks the disk queue, or a commit's entries waiting for its manifest, hold at most. */
  private get diskQueueLimit(): number {
    return this.ctx.maxDirtyBytes / 2;
  }

  private queueOnDisk(items: DiskItem[]): void {
    for (const item of items) {
      const older = this.diskQueue.get(item.index);
      this.diskQueueBytes += heldBytes(item) - (older ? heldBytes(older) : 0);
      this.diskQueue.set(item.index, item);
    }
    if (this.diskQueueBytes > this.diskQueueLimit) this.flushDiskQueue();
  }

  /** A committed block waiting to go to disk is here still: evicted from memory, it is
   *  read (or patched by a write) from the queue. */
  protected override keptCopy(index: number): Uint8Array | undefined {
    const item = this.diskQueue.get(index);
    return item && index < this.stored && item.key === this.keyOf(index) ? item.bytes : undefined;
  }

  /** At shutdown, when the database may still be open (another thread's connection). */
  override flushKept(): void {
    this.flushDiskQueue();
  }

  /** The queued entries go to the disk cache (after the reply under way). */
  private flushDiskQueue(): void {
    this.ctx.disk?.putSoon([...this.diskQueue.values()]);
    this.diskQueue.clear();
    this.diskQueueBytes = 0;
  }

  /**
   * The changes of several blocks as one patch object: each block's runs one after another.
   * A spilled block's bytes are read for its runs, its CRC32 and the disk cache, and not
   * kept: it leaves memory clean, as if evicted.
   */
  private async uploadPatch(group: PatchItem[], commit: number): Promise<void> {
    const key = newPatchKey(commit);
    const parts: Uint8Array[] = [];
    let off = 0;
    const items = [];
    for (const { index, base, plan, before } of group) {
      const held = this.blocks.get(index);
      const bytes = held ?? (await this.dirtyContent(index));
      const part = runsOf(bytes, plan.runs);
      parts.push(part);
      const patches = [...(plan.replaces ? [] : (base.patches ?? [])), { key, off, runs: plan.runs }];
      const sum = crc32(bytes);
      items.push({ index, base, before, held, bytes, sum, patches });
      off += part.length;
    }
    await this.ctx.s3.put(`${this.name}/${key}`, concat(parts));
    for (const { index, base, before, held, bytes, sum, patches } of items) {
      if (!this.uploaded(index, before, held)) continue;
      // Under the name of the entry it now is: a spilled block's bytes are not kept in
      // memory, and a page written to it later is applied over this copy (applyWrites).
      if (this.immutable(index)) this.keepOnDisk({ index, key: this.localKey({ key: base.key, patches }), bytes, sum });
      const entry: BlockEntry = {
        key: base.key,
        ...(base.crc32 ? { crc32: base.crc32 } : {}),
        baseSize: this.baseSizeOf(index, base),
        patches,
        patchedCrc32: crc32Hex(sum),
      };
      this.uploadedBlocks.set(index, entry);
    }
  }

  /** Whether written blocks within the file have not gone up. */
  private unsent(): boolean {
    const count = blockCount(this.size, this.B);
    return [...this.dirty].some((i) => i < count);
  }

  /** Commits: the written blocks go up in parallel, then the manifest, conditionally. */
  async commit(): Promise<void> {
    if (!this.isDirty) return;
    this.diskAfterCommit = [];
    this.diskAfterCommitBytes = 0;
    try {
      await this.upload();
      // A block written again while it went up stays dirty: it goes up again, or the
      // manifest would list its old object.
      if (this.unsent()) await this.upload();
      if (this.unsent()) throw new S3VFSError(`blocks of '${this.name}' kept changing while they were uploaded; nothing was committed`, 'EAGAIN');
      await this.lease.renewIfDue();
      if (this.lease.generation === undefined) throw new BusyError(`this writer does not hold the write lease of '${this.name}'`);
      const count = blockCount(this.size, this.B);
      const old = this.manifest ?? emptyManifest(this.B);
      const blocks = Array.from({ length: count }, (_, i) => this.uploadedBlocks.get(i) ?? old.blocks[i]);
      const block0 = this.blocks.get(0);
      const next: Manifest = {
        ...old,
        blockSize: this.B,
        pageSize: block0 ? pageSizeOf(block0) : old.pageSize,
        size: this.size,
        commit: old.commit + 1,
        generation: this.lease.generation,
        blocks,
      };
      await this.putManifest(next);
      this.uploadedBlocks.clear();
      this.shrunkTo = Infinity;
      this.queueOnDisk(this.diskAfterCommit);
    } catch (err) {
      this.lost();
      throw Object.assign(err as object, { stateDropped: true }); // the main thread drops its copy too
    } finally {
      this.diskAfterCommit = undefined;
    }
  }

  /** Replaces the manifest with `m` (manifest-commit.ts): the commit point. */
  private async putManifest(m: Manifest): Promise<void> {
    const state = await commitManifest(this.ctx.s3, this.name, { manifest: this.manifest, etag: this.etag }, m);
    this.manifest = state.manifest;
    this.etag = state.etag;
  }

  /** After a failed commit: forget what was written; the next transaction reads S3 again. */
  private lost(): void {
    this.forgetWrites();
    this.stale = true;
  }

  /** Forgets what was written since the last commit: the manifest is the database again. */
  override dropUncommitted(): boolean {
    if (!this.isDirty) return false;
    this.forgetWrites();
    return true;
  }

  private forgetWrites(): void {
    this.dropCache();
    this.uploadedBlocks.clear();
    this.shrunkTo = Infinity;
    this.size = this.manifest?.size ?? 0;
    this.stored = this.manifest?.blocks.length ?? 0;
  }

  /**
   * The start of a write transaction: takes the lease (SQLITE_BUSY if another writer has
   * it). A writer that takes it anew rewrites the manifest with its generation, with a
   * compare-and-swap on the manifest this transaction read: that fences out the previous
   * holder, and fails (busy: SQLite retries with a fresh read) if the database changed
   * since this transaction's snapshot.
   */
  override async beginWrite(): Promise<void> {
    if (this.stale) throw new BusyError(`'${this.name}' changed since this transaction started`);
    await this.ctx.conditional.verify(this.name);
    const fresh = await this.lease.acquire(this.manifest?.generation ?? 0);
    if (!fresh) return;
    const m = { ...(this.manifest ?? emptyManifest(this.B)), generation: this.lease.generation! };
    try {
      await this.putManifest(m);
    } catch (err) {
      if ((err as S3VFSError).code !== 'ECONFLICT') throw err;
      this.stale = true;
      throw new BusyError(`'${this.name}' changed since this transaction started (another writer committed)`);
    }
  }

  /** Lets another writer in without waiting for the lease to expire. */
  override async lastClosed(): Promise<void> {
    this.flushDiskQueue();
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.refreshed = undefined;
    await this.lease.release();
  }

  /** Its journal stays in memory: the manifest's conditional PUT makes commits atomic. */
  async derivedFile(name: string): Promise<CachedFile> {
    return new MemoryFile(name, this.ctx, this.B);
  }

  /** A whole new database under the lease (EBUSY while a writer works), committed as one manifest. */
  async startReplace(blockSize: number): Promise<Replacement> {
    await this.ctx.conditional.verify(this.name);
    await this.lease.acquire(this.manifest?.generation ?? 0);
    await this.load(); // the manifest as of taking the lease
    return new VersionedLoad(this.name, this.ctx.s3, this.manifest, this.etag, blockSize, this.lease);
  }

  /**
   * One conditional GET of the manifest: true (and the cache dropped) if it changed. With
   * `within` (maxStalenessMs), a read transaction instead takes what a refresh in the
   * background found, when that was asked less than `within` ago: its data is never older
   * than that, and it waits for no round trip.
   */
  async revalidate(within = 0): Promise<boolean> {
    if (this.stale) {
      await this.load();
      return true;
    }
    if (this.isDirty) return false;
    // Only the lease holder commits (deserialize takes the lease too): while this writer
    // holds it, the manifest is the one it wrote last, and asking S3 would cost a round
    // trip per transaction for nothing.
    if (this.lease.heldFresh) return false;
    const now = Date.now();
    if (within > 0) {
      this.lastReadAt = now;
      this.refreshEvery(within);
      const r = this.refreshed;
      // An answer about the manifest held here, newer than the last check, recent enough.
      if (r && r.etag === this.etag && r.at > this.validatedAt && now - r.at < within) {
        this.refreshed = undefined;
        const changed = await this.applyAnswer(r.got);
        this.validatedAt = r.at; // once applied: a failure leaves the next transaction to ask
        return changed;
      }
      if (now - this.validatedAt < within) return false;
    }
    const changed = await this.applyAnswer(await this.askManifest());
    this.validatedAt = now;
    return changed;
  }

  /**
   * For how long from now read transactions may begin without asking (the main thread
   * then skips revalidate(within) until it hears news): until what this file holds was
   * checked `within` ms ago. None while anything could make it change unasked: a commit
   * of its own in preparation, a lease held (its next commit), a refresh's answer that shows
   * a commit, not yet taken.
   */
  override freshForMs(within: number): number {
    if (within <= 0 || this.stale || this.isDirty || this.lease.heldFresh || (this.refreshed && this.refreshed.got !== 'unchanged')) return 0;
    // Capped at `within`: a clock set back must not make the answer look newer than it is.
    return Math.min(within, Math.max(0, Math.floor(within - (Date.now() - this.validatedAt))));
  }

  private askManifest(): Promise<GetResult | 'unchanged'> {
    const key = manifestKey(this.name);
    return this.etag ? this.ctx.s3.getIfChanged(key, this.etag) : this.ctx.s3.get(key);
  }

  private async applyAnswer(got: GetResult | 'unchanged'): Promise<boolean> {
    if (got === 'unchanged' || (got === null && !this.etag)) return false;
    await this.apply(got);
    return true;
  }

  /**
   * Keeps asking for the manifest in the background, every `within / 2` ms, while read
   * transactions keep beginning (up to IDLE_REFRESHES periods after the last), so that
   * autocommit statements under maxStalenessMs rarely wait for a round trip. The answer is
   * only kept: a read transaction under way keeps its snapshot, and the next one takes it.
   */
  private refreshEvery(within: number): void {
    if (this.refreshTimer) return;
    const period = Math.max(within / 2, MIN_REFRESH_MS);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      if (this.openCount === 0 || Date.now() - this.lastReadAt > IDLE_REFRESHES * period) return;
      this.refreshEvery(within);
      if (this.stale || this.isDirty || this.lease.heldFresh) return;
      const etag = this.etag;
      const at = Date.now();
      this.askManifest().then(
        (got) => {
          if (this.etag !== etag) return;
          this.refreshed = { got, at, etag };
          if (got !== 'unchanged') this.ctx.news();
        },
        () => undefined, // the next read transaction asks itself
      );
    }, period);
    this.refreshTimer.unref?.();
  }

  /** Deletes the database: its manifest goes first (the commit point), then its blocks. */
  async remove(): Promise<void> {
    const keys = [...new Set([...listedKeys(this.manifest), ...listedKeys({ blocks: [...this.uploadedBlocks.values()] })])].map((k) => `${this.name}/${k}`);
    if (this.etag) await this.ctx.s3.deleteKeys([manifestKey(this.name)]);
    if (keys.length) await this.ctx.s3.deleteKeys(keys);
    this.manifest = null;
    this.etag = undefined;
    this.dropCache();
    this.uploadedBlocks.clear();
    this.size = 0;
    this.stored = 0;
  }
}

