// The asynchronous half of the protocol between the main thread and the worker: every
// method the worker serves over postMessage (lib/rpc.ts), with its arguments and answer.
// The worker's handlers implement it and the main thread's RpcClient is typed by it, so
// a call and its handler cannot disagree. (The synchronous half, SQLite's file I/O, is the
// bridge: native/bridge_layout.h.)
import type { DatabaseEntry, DatabaseInfo } from '../store/describe';
import type { GcReport } from '../store/versioned/gc';
import type { MigrateReport } from '../store/migrate';

export interface WorkerApi {
  /** Size and block size of a database as the bucket has it now (re-read unless open here). */
  stat(name: string): Promise<{ size: number; blockSize: number }>;
  /** Warms the cache with a database's blocks, up to maxBytes; how many it fetched. */
  prefetch(name: string, maxBytes: number): Promise<{ blocks: number; blockSize: number; size: number }>;
  /** Blocks [from, from + count) of a database, fetched in parallel, concatenated. */
  readBlocks(name: string, from: number, count: number, size: number, blockSize: number): Promise<Uint8Array>;
  /** A whole-database upload (vfs.deserialize): begin, blocks 1.., then block 0 and commit. */
  deserializeBegin(name: string): Promise<void>;
  putBlock(name: string, index: number, bytes: Uint8Array): Promise<void>;
  deserializeEnd(name: string, size: number, block0: Uint8Array): Promise<void>;
  /** Removes what a deserialize that failed before its end had uploaded, from block fromIndex. */
  deserializeAbort(name: string, fromIndex: number): Promise<void>;
  list(under: string): Promise<DatabaseEntry[]>;
  info(name: string): Promise<DatabaseInfo>;
  gc(name: string, olderThanMs: number): Promise<GcReport>;
  migrate(name: string): Promise<MigrateReport>;
  /** Uploads what is pending, stops the lease timers; the worker may then be terminated. */
  shutdown(): Promise<void>;
}

/** Served only when the worker runs with test hooks on (S3VFS_TEST_HOOKS=1). */
export interface WorkerTestHooks {
  /** The worker throws from a timer afterMs from now, as a bug would. */
  crash(afterMs?: number): Promise<void>;
  /** The worker's cache lets go of a file's clean blocks, as an eviction would. */
  evictClean(name: string): Promise<void>;
  /** The worker spins for ms: a stuck worker. */
  stall(ms: number): Promise<void>;
}

export type WorkerMethods = WorkerApi & Partial<WorkerTestHooks>;
