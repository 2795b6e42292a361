// The worker's asynchronous methods (typed by worker-api.ts): whole-database transfer,
// listing, gc, migration, shutdown. What differs between layouts is the files' to do.
import { S3VFSError } from '../errors';
import type { Replacement } from '../store/cached-file';
import type { FileTable } from '../store/file-table';
import type { ObjectStore } from '../store/object-store';
import { describeDatabase, listDatabases } from '../store/describe';
import { collectGarbage } from '../store/versioned/gc';
import { migrateToVersioned } from '../store/migrate';
import type { WorkerMethods } from './worker-api';

export function rpcHandlers(files: FileTable, s3: ObjectStore, shutdown: () => Promise<void>, testHooks: boolean): WorkerMethods {
  const { blockSize: defaultBlockSize, concurrency } = files.ctx;
  const notOpen = (name: string, what: string) => {
    if (files.isOpen(name)) throw new S3VFSError(`cannot ${what} '${name}' while it is open; close the database first`, 'EBUSY');
  };

  /** Deserializes under way, by database. */
  const replacing = new Map<string, Replacement>();
  const replacement = (name: string): Replacement => {
    const r = replacing.get(name);
    if (!r) throw new S3VFSError(`no deserialize of '${name}' is under way in this worker`, 'EPROTO');
    return r;
  };
  const handlers: WorkerMethods = {
    async stat(name: string) {
      await files.exclusive(() => files.flushFamily(name));
      files.forget(name);
      const f = await files.file(name, true);
      return { size: f.size, blockSize: f.B };
    },
    async prefetch(name: string, maxBytes: number) {
      const f = await files.file(name, true);
      return { blocks: await f.prefetch(maxBytes), blockSize: f.B, size: f.size };
    },
    async readBlocks(name: string, from: number, count: number, size: number, blockSize: number) {
      return (await files.file(name, true)).readUncached(from, count, size, blockSize);
    },
    async deserializeBegin(name: string) {
      notOpen(name, 'deserialize into');
      files.forget(name);
      files.forget(`${name}-journal`);
      const target = await files.file(name, true);
      replacing.set(name, await target.startReplace(defaultBlockSize));
    },
    async putBlock(name: string, index: number, bytes: Uint8Array) {
      await replacement(name).putBlock(index, bytes);
    },
    /** Block 0 goes last: until then the prefix holds no database a reader would open. */
    async deserializeEnd(name: string, size: number, block0: Uint8Array) {
      notOpen(name, 'deserialize into');
      const r = replacement(name);
      replacing.delete(name);
      await r.commit(size, block0);
      files.forget(name);
    },
    /** Removes blocks written by a deserialize that failed before its block 0. */
    async deserializeAbort(name: string, fromIndex: number) {
      const r = replacing.get(name);
      replacing.delete(name);
      files.forget(name);
      if (r) await r.abort(fromIndex);
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
