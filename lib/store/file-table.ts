// The files of one bucket as SQLite sees them through the VFS: handles, the names
// behind them, and the order in which written data must reach the bucket.
import { S3VFSError } from '../errors';
import { prefixProblem } from '../prefix';
import type { BlockWrite, CachedFile } from './cached-file';
import { SeedFile } from './compat/seed-file';
import type { StoreContext } from './store-context';
import { SQLITE_OPEN_CREATE, SQLITE_OPEN_DELETEONCLOSE, SQLITE_OPEN_MAIN_DB, SQLITE_OPEN_MAIN_JOURNAL } from '../sqlite-codes';
import { blockKey, blockPrefix } from './compat/block-layout';
import { Families } from './families';
import { VersionedFile } from './versioned/versioned-file';

/** The bytes at the start of a rollback journal that make it hot when they hold SQLite's
 *  magic number (a journal whose first 8 bytes are anything else is ignored). */
const JOURNAL_MAGIC_BYTES = 8;

/** The first file offset a batch of writes changes. */
function firstByteOf(f: CachedFile, writes: readonly BlockWrite[]): number {
  return writes.reduce((min, w) => Math.min(min, w.index * f.B + w.offset), Number.MAX_SAFE_INTEGER);
}

interface Handle {
  file: CachedFile;
  flags: number;
}

export class FileTable {
  private readonly files = new Families();
  private readonly handles = new Map<number, Handle>();
  private nextHandle = 1;
  /** The end of the last work queued by exclusive(). */
  private queue: Promise<void> = Promise.resolve();
  /** Databases written since the end of their last write transaction. */
  private readonly databasesWritten = new Set<string>();

  constructor(
    readonly ctx: StoreContext,
    private readonly bucket: string,
  ) {}

  /**
   * Runs `fn` once every change to the files started before it has ended, and before any
   * started after it. The bridge's requests come one at a time, but the worker's other
   * requests (vfs.serialize flushing a database) run beside them: a flush that uploaded a
   * journal and then its database could otherwise take a database page whose journal record
   * arrived during the journal's upload.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The known file of that name, read from the bucket the first time. */
  async file(name: string, isMain = false): Promise<CachedFile> {
    let f = this.files.get(name);
    if (!f) {
      f = isMain ? await this.loadDatabase(name) : await this.loadFamilyFile(name);
      this.files.set(name, f);
    }
    return f;
  }

  /**
   * A database: versioned if it has a manifest (one GET), in the seed layout if it has
   * blocks (one LIST), else new, in the layout the options ask for. Every seed-layout
   * database has a block 0, so a HEAD of it (a tenth of a LIST's price) settles that a
   * new versioned database is new.
   */
  private async loadDatabase(name: string): Promise<CachedFile> {
    const versioned = new VersionedFile(name, this.ctx, this.ctx.blockSize, this.ctx.leaseTtlMs);
    await versioned.load();
    if (versioned.manifest) return versioned;
    if (this.ctx.layout === 'versioned' && (await this.ctx.s3.head(blockKey(name, 0))) === null) return versioned;
    const seed = await SeedFile.open(name, this.ctx);
    return seed.exists || this.ctx.layout === 'compat' ? seed : versioned;
  }

  /** A journal (or WAL, super-journal) is the database's layout's to make (a versioned
   *  database keeps it in memory; a seed-layout one cuts it into blocks like itself, so
   *  that another reader of the database can roll it back). Without an open database, it
   *  is read as the seed layout has it. */
  private async loadFamilyFile(name: string): Promise<CachedFile> {
    const main = this.files.databaseOf(name);
    return main ? main.derivedFile(name) : SeedFile.open(name, this.ctx);
  }

  handle(id: number): CachedFile {
    const h = this.handles.get(id);
    if (!h) throw new S3VFSError(`no open file with handle ${id}`, 'EPROTO');
    return h.file;
  }

  isOpen(name: string): boolean {
    return (this.files.get(name)?.openCount ?? 0) > 0;
  }

  /** inMemory: the file lives in the main thread's memory only (a versioned database's journal). */
  async open(name: string, flags: number): Promise<{ id: number; size: number; blockSize: number; inMemory: boolean }> {
    // Names SQLite makes up (ATTACH '/tmp/x.db', VACUUM INTO ...) meet the prefix rules too.
    const problem = prefixProblem(name);
    if (problem) throw new S3VFSError(`cannot open '${name}' in the bucket: ${problem}`, 'EINVAL');
    // A database nobody here has open is checked afresh and its journal listed again:
    // a hot journal left by a writer that died elsewhere must be found by the next open.
    // Its cached blocks stay if block 0 is unchanged (one conditional GET).
    if (flags & SQLITE_OPEN_MAIN_DB && !this.isOpen(name)) {
      this.forgetFamily(name);
      await this.files.get(name)?.revalidate();
    }
    const f = await this.file(name, (flags & SQLITE_OPEN_MAIN_DB) !== 0);
    // A memory journal's content is the main thread's: it says whether it exists.
    if (!f.exists && !(flags & SQLITE_OPEN_CREATE) && !f.inMemory) {
      throw new S3VFSError(`no database at s3://${this.bucket}/${blockPrefix(name)} (the prefix holds no blocks)`, 'ENOENT');
    }
    f.openCount++;
    const id = this.nextHandle++;
    this.handles.set(id, { file: f, flags });
    return { id, size: f.size, blockSize: f.B, inMemory: f.inMemory };
  }

  /** Closes a handle; true when the database's uncommitted writes were dropped (see endWrite). */
  async close(id: number): Promise<boolean> {
    const h = this.handles.get(id);
    if (!h) return false;
    this.handles.delete(id);
    h.file.openCount--;
    await this.flushFamily(h.file.name);
    const dropped = this.dropUncommitted(h.file.name);
    if (h.flags & SQLITE_OPEN_DELETEONCLOSE) await h.file.remove();
    if (h.file.openCount === 0) await h.file.lastClosed();
    return dropped;
  }

  /**
   * Called before a file is changed. SQLite's rollback journal is crash-safe only if
   * journal data is durable before the database is overwritten, and database data before
   * the journal is finalised. Those are orders of uploads, kept here even when
   * synchronous=OFF means SQLite never calls xSync:
   * - a database's blocks go up only after its journal's (uploadInOrder), so its written
   *   blocks may wait in the worker while records are appended to the journal;
   * - records appended to a journal (`firstByte` past the magic number that makes it hot)
   *   only widen what a rollback restores: the database's blocks need not go up first;
   * - any other change to a journal (its header, a truncation, its deletion: what ends a
   *   transaction) waits until the journal's records, then the database, are up.
   * A large transaction spills pages from SQLite's cache all along, appending records and
   * writing the database in turn; uploading the other file at each turn sent a 70 MB load
   * up 120 times over. Files of other databases go up as before: their order is not known.
   */
  private async beforeChange(f: CachedFile, firstByte = 0): Promise<void> {
    // A versioned database needs no such order: nothing counts until its manifest does.
    if (!f.ordered) return;
    const database = this.files.databaseName(f.name);
    if (database !== f.name && firstByte < JOURNAL_MAGIC_BYTES) {
      const db = this.files.get(database);
      if (db?.ordered && db.isDirty) await this.uploadInOrder(db);
    }
    for (const other of this.files.values()) {
      if (other.ordered && other.isDirty && this.files.databaseName(other.name) !== database) await this.uploadInOrder(other);
    }
  }

  /** Uploads a file, after its journal if it is a database (see beforeChange). */
  private async uploadInOrder(f: CachedFile): Promise<void> {
    if (f.ordered && this.files.databaseName(f.name) === f.name) {
      for (const derived of this.files.derivedOf(f.name)) if (derived.ordered && derived.isDirty) await derived.upload();
    }
    if (f.isDirty) await f.upload();
  }

  /** Moves a file's written blocks to disk when it holds too many in memory; uploads them
   *  (in order) where they cannot go to disk. */
  private async limitDirty(f: CachedFile): Promise<void> {
    if (f.dirtyBytes <= this.ctx.maxDirtyBytes) return;
    if (!(await f.spill(this.ctx.maxDirtyBytes / 2))) await this.uploadInOrder(f);
  }

  async write(id: number, offset: number, data: Uint8Array): Promise<void> {
    const f = this.handle(id);
    await this.beforeChange(f, offset);
    this.noteWrite(id);
    await f.write(offset, data);
    // A big transaction must not hold the whole database in memory: its written blocks
    // wait on local disk (CachedFile.spill).
    await this.limitDirty(f);
  }

  /** Pages the main thread wrote to blocks it did not hold (its cache was full), in the
   *  order it made them; applied as writes, each reading the rest of its block if need be. */
  async writePages(id: number, writes: BlockWrite[]): Promise<void> {
    const f = this.handle(id);
    await this.beforeChange(f, firstByteOf(f, writes));
    this.noteWrite(id);
    for (const w of writes) {
      // The bytes are a view of the shared buffer, which no request reuses before this one
      // is answered; write() copies what it keeps (into a block, or the spill file's
      // pending changes).
      await f.write(w.index * f.B + w.offset, w.bytes);
      await this.limitDirty(f);
    }
  }

  /** Changes written on the main thread, with the file's new size; returns the blocks
   *  that must come again whole (see CachedFile.applyWrites). */
  async applyWrites(id: number, size: number, writes: BlockWrite[]): Promise<number[]> {
    const f = this.handle(id);
    await this.beforeChange(f, firstByteOf(f, writes));
    this.noteWrite(id);
    const missing = await f.applyWrites(size, writes);
    await this.limitDirty(f);
    return missing;
  }

  async truncate(id: number, size: number): Promise<void> {
    const f = this.handle(id);
    await this.beforeChange(f);
    this.noteWrite(id);
    await f.truncate(size);
  }

  private noteWrite(id: number): void {
    const h = this.handles.get(id);
    if (h && h.flags & SQLITE_OPEN_MAIN_DB) this.databasesWritten.add(h.file.name);
  }

  /**
   * xSync. A rollback journal synced before its database is written in this transaction
   * need not be durable yet: nothing depends on it until the database's blocks go up, and
   * uploadInOrder() uploads it then. So SQLite's two journal syncs of synchronous=FULL
   * (records, then the header that counts them) cost one round of uploads, not two.
   * Once the database is written, a journal sync is done at once, and is the journal's
   * alone: the commit of PERSIST and TRUNCATE modes (a zeroed header, a truncation) made
   * the database durable before it changed the journal (beforeChange), and one in the
   * middle of a transaction (SQLite's cache spilling) needs only the records.
   */
  async sync(id: number): Promise<void> {
    const h = this.handles.get(id);
    if (!h) return;
    // A versioned database commits at its own sync; its journal is memory.
    if (!h.file.ordered) return h.file.commit();
    if (h.flags & SQLITE_OPEN_MAIN_JOURNAL) {
      if (!this.databasesWritten.has(this.files.databaseName(h.file.name))) return;
      return this.uploadInOrder(h.file);
    }
    // Failed, the files keep what was written, as a disk keeps data an fsync failed to
    // make durable: SQLite rolls the transaction back from the journal it wrote.
    await this.flushFamily(h.file.name, false);
  }

  /**
   * Uploads what a seed-layout database and its journal hold (never another database's:
   * its transaction may be under way). A versioned database is not touched: it commits
   * only at SQLite's commit point. After a failure, when `discard`, the files read their
   * state from the bucket again (once the journal is finalised, the bucket may still hold
   * it hot: the connection must see that, as every other reader does).
   */
  async flushFamily(name: string, discard = true): Promise<void> {
    const files = this.files.family(name).filter((f) => f.ordered);
    try {
      // The database comes first in its family, and takes its journal up before itself.
      for (const f of files) await this.uploadInOrder(f);
    } catch (err) {
      if (discard) for (const f of files) await f.discard();
      throw err;
    }
  }

  /**
   * A versioned database that still holds writes SQLite never committed, when its write
   * transaction ends or it is closed (a rollback with no journal to play back, one cut
   * short), drops them: what S3 has is the database. True when something was dropped: the
   * main thread then forgets its copy too.
   */
  private dropUncommitted(name: string): boolean {
    return this.files.get(this.files.databaseName(name))?.dropUncommitted() ?? false;
  }

  /** The start of a write transaction on a database: a versioned one takes its lease. */
  async beginWrite(id: number): Promise<void> {
    await this.handle(id).beginWrite();
  }

  /** The end of a write transaction: a seed-layout database's family goes up; a versioned
   *  one drops what was never committed (true: the main thread forgets its copy). */
  async endWrite(id: number): Promise<boolean> {
    const f = this.handle(id);
    await this.flushFamily(f.name);
    this.databasesWritten.delete(this.files.databaseName(f.name));
    return this.dropUncommitted(f.name);
  }

  /**
   * SQLite finalised the journal (SQLITE_FCNTL_COMMIT_PHASETWO). In the seed layout that is
   * the commit point: the family goes up, and a failure fails the COMMIT. A versioned
   * database committed already; SQLite may have truncated the file since (a shrinking
   * commit): that goes up too, as best it can, for the transaction is durable whatever
   * happens here. True when it could not: the main thread forgets its copy.
   */
  async phaseTwo(id: number): Promise<boolean> {
    const f = this.handle(id);
    const main = this.files.get(this.files.databaseName(f.name));
    if (!main || main.ordered) {
      await this.flushFamily(f.name);
      this.databasesWritten.delete(this.files.databaseName(f.name));
      return false;
    }
    if (!main.isDirty) return false;
    try {
      await main.commit();
      return false;
    } catch {
      return true; // commit() dropped it; the next transaction reads the manifest again
    }
  }

  /** Uploads every seed-layout file (at shutdown, when no transaction is under way). */
  async flushAll(): Promise<void> {
    for (const f of this.files.values()) if (f.isDirty && f.ordered) await this.flushFamily(f.name);
    for (const f of this.files.values()) f.flushKept();
  }

  async access(name: string): Promise<boolean> {
    return (await this.file(name)).exists;
  }

  async delete(name: string): Promise<void> {
    await this.flushFamily(name);
    const f = await this.file(name);
    try {
      await f.remove();
    } catch (err) {
      // Its answers lost, a DELETE may have been applied or not: the bucket says which.
      if (f.ordered) await f.discard();
      throw err;
    }
  }

  /** Why the layout of the database refuses a PRAGMA setting (null: SQLite goes on). */
  refusal(id: number, pragma: string, value: string): string | null {
    if (pragma.toLowerCase() !== 'journal_mode') return null;
    const f = this.handle(id);
    const mode = value.trim().replace(/^['"]|['"]$/g, '').toLowerCase();
    if (f.ordered && (mode === 'off' || mode === 'memory')) {
      return `journal_mode=${mode} is refused on '${f.name}': in the compat (seed) layout the rollback journal in the bucket ` +
        'is what makes a commit crash-safe, and without it a crash in the middle of one leaves the database corrupt; use DELETE, TRUNCATE or PERSIST';
    }
    if (mode === 'wal') {
      return `journal_mode=WAL is refused on '${f.name}': S3 offers no shared memory for its index, so after a failed commit ` +
        'a connection cannot tell which frames are in the bucket (and a versioned database would keep its WAL in this process ' +
        'only); use the default rollback journal';
    }
    return null;
  }

  /** Start of a read transaction on a database: drop what another client made stale. Says
   *  whether it did, and for how long later ones may begin without asking (freshForMs). */
  async beginRead(id: number): Promise<{ changed: boolean; freshForMs: number }> {
    const f = this.handle(id);
    const changed = await f.revalidate(this.ctx.maxStalenessMs);
    // Its journal may have come or gone with the change.
    if (changed) for (const other of this.files.derivedOf(f.name)) if (other.openCount === 0) this.files.delete(other.name);
    return { changed, freshForMs: f.freshForMs(this.ctx.maxStalenessMs) };
  }

  /** Forgets the closed files that belong to a database (its journal, ...). */
  private forgetFamily(name: string): void {
    for (const f of this.files.derivedOf(name)) this.forget(f.name);
  }

  /** Forgets a closed file, so that the next use lists it again. */
  forget(name: string): void {
    const f = this.files.get(name);
    if (f && f.openCount === 0 && !f.isDirty) this.files.delete(name);
  }
}
