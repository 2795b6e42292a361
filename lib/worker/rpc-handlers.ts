// The worker's asynchronous methods: whole-database transfer, accounting, shutdown.
import { S3VFSError } from '../errors';
import { blockCount, blockIndexOf, blockKey, blockPrefix } from '../store/block-layout';
import type { FileTable } from '../store/file-table';
import { mapLimit, type S3Objects } from '../store/s3-objects';
import { describeDatabase, listDatabases } from '../store/describe';
import { collectGarbage } from '../store/gc';
import { Lease } from '../store/lease';
import { leaseKey } from '../store/manifest';
import { migrateToVersioned } from '../store/migrate';
import { VersionedFile } from '../store/versioned-file';
import { VersionedLoad } from '../store/versioned-load';

export function rpcHandlers(files: FileTable, s3: S3Objects, shutdown: () => Promise<void>, testHooks: boolean) {
  const { blockSize: defaultBlockSize, concurrency } = files.ctx;
  const notOpen = (name: string, what: string) => {
    if (files.isOpen(name)) throw new S3VFSError(`cannot ${what} '${name}' while it is open; close the database first`, 'EBUSY');
  };

  const versioned = new Map<string, VersionedLoad>();
  const handlers: Record<string, (...args: any[]) => Promise<unknown>> = {
    /** Size of a file as the bucket has it now (re-listed unless it is open here). */
    async stat(name: string) {
      await files.flushFamily(name);
      files.forget(name);
      const f = await files.file(name, true);
      return { size: f.size, blockSize: f.B };
    },
    /** Blocks [from, from + count) of a file, fetched in parallel, concatenated. */
    /** Warms the cache with a file's blocks, up to the cache's size. */
    async prefetch(name: string, maxBytes: number) {
      const f = await files.file(name, true);
      return { blocks: await f.prefetch(maxBytes), blockSize: f.B, size: f.size };
    },
    async readBlocks(name: string, from: number, count: number, size: number, blockSize: number) {
      const indexes = Array.from({ length: count }, (_, i) => from + i);
      const f = await files.file(name, true);
      const parts = await mapLimit(indexes, concurrency, async (i) => {
        const key = f.objectKey(i);
        const got = await s3.get(key);
        const want = Math.min(blockSize, size - i * blockSize);
        if (!got || got.body.length !== want) {
          throw new S3VFSError(`block ${i} of '${name}' changed while it was being read (${got ? got.body.length : 'no'} bytes, expected ${want})`, 'ECHANGED');
        }
        f.checkBlock(i, key, got.body);
        return got.body;
      });
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    },
    async deserializeBegin(name: string) {
      notOpen(name, 'deserialize into');
      files.forget(name);
      const target = await files.file(name, true);
      if (target instanceof VersionedFile) {
        await files.ctx.conditional.verify(name);
        const lease = new Lease(s3, leaseKey(name), files.ctx.leaseTtlMs);
        await lease.acquire(target.manifest?.generation ?? 0); // EBUSY while a writer works
        await target.load(); // the manifest as of taking the lease
        versioned.set(name, new VersionedLoad(name, s3, target.manifest, target.manifestEtag, defaultBlockSize, lease));
        return;
      }
      // A journal left by an old crash would be "rolled back" onto the new bytes.
      await files.delete(`${name}-journal`);
      files.forget(`${name}-journal`);
    },
    async putBlock(name: string, index: number, bytes: Uint8Array) {
      const load = versioned.get(name);
      if (load) return load.putBlock(index, bytes);
      await s3.put(blockKey(name, index), bytes);
    },
    /** Block 0 goes last: until then the prefix holds no database a reader would open. */
    async deserializeEnd(name: string, size: number, block0: Uint8Array) {
      notOpen(name, 'deserialize into');
      const load = versioned.get(name);
      if (load) {
        versioned.delete(name);
        await load.commit(size, block0);
        files.forget(name);
        return;
      }
      const count = blockCount(size, defaultBlockSize);
      const listed = await s3.list(blockPrefix(name));
      const stale = listed.filter((o) => blockIndexOf(name, o.key) >= count).map((o) => o.key);
      if (stale.length) await s3.deleteKeys(stale);
      await s3.put(blockKey(name, 0), block0);
      files.forget(name);
    },
    /** Removes blocks written by a deserialize that failed before its block 0. */
    async deserializeAbort(name: string, fromIndex: number) {
      const load = versioned.get(name);
      if (load) {
        versioned.delete(name);
        return load.abort();
      }
      const listed = await s3.list(blockPrefix(name));
      if (listed.some((o) => blockIndexOf(name, o.key) === 0)) return; // an older database lives here
      const mine = listed.filter((o) => blockIndexOf(name, o.key) >= fromIndex).map((o) => o.key);
      if (mine.length) await s3.deleteKeys(mine);
    },
    /** The databases directly under a prefix ('' for the top of the bucket). */
    async list(under: string) {
      return listDatabases(s3, under, concurrency);
    },
    /** The state of one database. */
    async info(name: string) {
      return describeDatabase(s3, name);
    },
    /** Deletes the block objects of a versioned database that no reader can need any more. */
    async gc(name: string, olderThanMs: number) {
      return collectGarbage(s3, name, olderThanMs);
    },
    /** Turns a seed-layout database into a versioned one, in place. */
    async migrate(name: string) {
      notOpen(name, 'migrate');
      files.forget(name);
      files.forget(`${name}-journal`);
      return migrateToVersioned(files.ctx, name);
    },
    async shutdown() {
      await shutdown();
    },
  };
  if (testHooks) {
    handlers.crash = async (afterMs = 10) => {
      setTimeout(() => {
        throw new Error('worker crashed on purpose (test hook)');
      }, afterMs);
    };
    /** The worker's cache lets go of a file's clean blocks, as an eviction would. */
    handlers.evictClean = async (name: string) => {
      (await files.file(name)).evictClean();
    };
    handlers.stall = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) { /* a stuck worker, for the timeout test */ }
    };
  }
  return handlers;
}
