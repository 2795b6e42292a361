// The files of one bucket as SQLite sees them through the VFS: handles, the names
// behind them, and the order in which written data must reach the bucket.
import { S3VFSError } from '../errors';
import { BlockFile, type StoreContext } from './block-file';
import { SQLITE_OPEN_CREATE, SQLITE_OPEN_DELETEONCLOSE, SQLITE_OPEN_MAIN_DB, SQLITE_OPEN_MAIN_JOURNAL } from '../sqlite-codes';
import { blockPrefix } from './block-layout';

interface Handle {
  file: BlockFile;
  flags: number;
}

export class FileTable {
  private readonly byName = new Map<string, BlockFile>();
  private readonly handles = new Map<number, Handle>();
  private nextHandle = 1;
  /** A database was written since the last end of a write transaction. */
  private databaseWritten = false;

  constructor(
    readonly ctx: StoreContext,
    private readonly bucket: string,
  ) {}

  /** The known file of that name, listed from the bucket the first time. */
  async file(name: string): Promise<BlockFile> {
    let f = this.byName.get(name);
    if (!f) {
      f = new BlockFile(name, this.ctx, this.familyBlockSize(name));
      await f.load();
      this.byName.set(name, f);
    }
    return f;
  }

  /** A journal (or WAL, super-journal) is cut like its database, whatever the default:
   *  another reader of the database must be able to roll it back. */
  private familyBlockSize(name: string): number {
    let best: BlockFile | undefined;
    for (const [n, f] of this.byName) {
      if (name.startsWith(`${n}-`) && (!best || n.length > best.name.length)) best = f;
    }
    return best?.B ?? this.ctx.blockSize;
  }

  handle(id: number): BlockFile {
    const h = this.handles.get(id);
    if (!h) throw new Error(`no open file with handle ${id}`);
    return h.file;
  }

  isOpen(name: string): boolean {
    return (this.byName.get(name)?.openCount ?? 0) > 0;
  }

  async open(name: string, flags: number): Promise<{ id: number; size: number; blockSize: number }> {
    // A database nobody here has open is checked afresh and its journal listed again:
    // a hot journal left by a writer that died elsewhere must be found by the next open.
    // Its cached blocks stay if block 0 is unchanged (one conditional GET).
    if (flags & SQLITE_OPEN_MAIN_DB && !this.isOpen(name)) {
      this.forgetFamily(name);
      await this.byName.get(name)?.revalidate();
    }
    const f = await this.file(name);
    if (!f.exists && !(flags & SQLITE_OPEN_CREATE)) {
      throw new S3VFSError(`no database at s3://${this.bucket}/${blockPrefix(name)} (the prefix holds no blocks)`, 'ENOENT');
    }
    f.openCount++;
    const id = this.nextHandle++;
    this.handles.set(id, { file: f, flags });
    return { id, size: f.size, blockSize: f.B };
  }

  async close(id: number): Promise<void> {
    const h = this.handles.get(id);
    if (!h) return;
    this.handles.delete(id);
    h.file.openCount--;
    await this.flushAll();
    if (h.flags & SQLITE_OPEN_DELETEONCLOSE) await h.file.remove();
  }

  /**
   * Called before a file is changed. SQLite's rollback journal is crash-safe only if
   * journal data is durable before the database is written, and database data before
   * the journal is finalised; so whatever another file has pending goes up first.
   * With at most one file dirty at a time, uploads follow SQLite's own write order
   * even when synchronous=OFF means it never calls xSync.
   */
  private async beforeChange(f: BlockFile): Promise<void> {
    for (const other of this.byName.values()) {
      if (other !== f && other.isDirty) {
        await this.flushAll();
        return;
      }
    }
  }

  async write(id: number, offset: number, data: Uint8Array): Promise<void> {
    const f = this.handle(id);
    await this.beforeChange(f);
    this.noteWrite(id);
    await f.write(offset, data);
    // A big transaction must not hold the whole database in memory. Uploading early is
    // what an OS does with dirty pages; SQLite's order still holds, since any journal
    // data went up before this file was first written (beforeChange).
    if (f.dirtyBytes > this.ctx.maxDirtyBytes) await f.flush();
  }

  /** Blocks written on the main thread, whole, with the file's new size. */
  async putBlocks(id: number, size: number, blocks: { index: number; bytes: Uint8Array }[]): Promise<void> {
    const f = this.handle(id);
    await this.beforeChange(f);
    this.noteWrite(id);
    f.putBlocks(size, blocks);
    if (f.dirtyBytes > this.ctx.maxDirtyBytes) await f.flush();
  }

  async truncate(id: number, size: number): Promise<void> {
    const f = this.handle(id);
    await this.beforeChange(f);
    this.noteWrite(id);
    await f.truncate(size);
  }

  private noteWrite(id: number): void {
    if ((this.handles.get(id)?.flags ?? 0) & SQLITE_OPEN_MAIN_DB) this.databaseWritten = true;
  }

  /**
   * xSync. A rollback journal synced before its database is written in this transaction
   * need not be durable yet: nothing depends on it until the first database write, and
   * beforeChange() uploads it then. So SQLite's two journal syncs of synchronous=FULL
   * (records, then the header that counts them) cost one round of uploads, not two.
   * Once the database is written, a journal sync is the commit (PERSIST, TRUNCATE
   * modes) and is done at once.
   */
  async sync(id: number): Promise<void> {
    const h = this.handles.get(id);
    if (h && h.flags & SQLITE_OPEN_MAIN_JOURNAL && !this.databaseWritten) return;
    await this.flushAll();
  }

  /** The end of a write transaction: everything goes up. */
  async endWrite(): Promise<void> {
    await this.flushAll();
    this.databaseWritten = false;
  }

  async flushAll(): Promise<void> {
    for (const f of this.byName.values()) if (f.isDirty) await f.flush();
  }

  async access(name: string): Promise<boolean> {
    return (await this.file(name)).exists;
  }

  async delete(name: string): Promise<void> {
    await this.flushAll();
    const f = await this.file(name);
    await f.remove();
  }

  /** Start of a read transaction on a database: drop what another client made stale. */
  async beginRead(id: number): Promise<boolean> {
    const f = this.handle(id);
    if (!(await f.revalidate(this.ctx.maxStalenessMs))) return false;
    // Its journal may have come or gone with the change.
    for (const [name, other] of this.byName) {
      if (name.startsWith(`${f.name}-`) && other.openCount === 0) this.byName.delete(name);
    }
    return true;
  }

  /** Forgets the closed files that belong to a database (its journal, ...). */
  private forgetFamily(name: string): void {
    for (const n of [...this.byName.keys()]) if (n.startsWith(`${name}-`)) this.forget(n);
  }

  /** Forgets a closed file, so that the next use lists it again. */
  forget(name: string): void {
    const f = this.byName.get(name);
    if (f && f.openCount === 0 && !f.isDirty) this.byName.delete(name);
  }
}
