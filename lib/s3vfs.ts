// The public S3VFS: a SQLite VFS over one bucket, its worker thread and its bridge.
import path from 'node:path';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type BetterSqlite3 = require('better-sqlite3');
import { MainBridge } from './bridge/main-bridge';
import { openOn, type DatabaseOptions } from './database';
import { deserializeInto, type ByteSource, type DeserializeReport } from './deserialize';
import type { DatabaseEntry, DatabaseInfo } from './store/describe';
import { S3VFSError } from './errors';
import { binding } from './native';
import { checkPrefix } from './prefix';
import { LIMITS, milliseconds, resolveOptions } from './options';
import { diskCacheLimit } from './store/disk-cache';
import { RpcClient } from './rpc';
import type { WorkerMethods, WorkerTestHooks } from './worker/worker-api';
import { serializeFrom } from './serialize';
import { Counters, type VfsStats } from './stats';
import type { GcReport } from './store/versioned/gc';
import type { MigrateReport } from './store/migrate';
import type { WorkerConfig } from './worker/worker-config';

export interface S3VFSOptions {
  /** The bucket that holds the databases. */
  bucket: string;
  /** Bytes per S3 object of new databases (default 1 MiB). An existing database keeps the
   *  block size it was written with. Use 4096 for databases the Python sqlite-s3vfs writes to. */
  blockSize?: number;
  /** @aws-sdk/client-s3 configuration; what is absent comes from the standard AWS chain.
   *  It crosses to a worker thread, so credentials must be a plain object, not a provider. */
  s3?: S3ClientConfig;
  /** The SQLite VFS name to register (default: a unique s3vfs-… name). */
  name?: string;
  /** Bytes of blocks the worker keeps cached (default 64 MiB). */
  cacheSize?: number;
  /** Parallel S3 requests when uploading or serializing (default 32). */
  concurrency?: number;
  /** How old the data a read transaction sees may be (default 0: every read transaction
   *  asks S3 whether another client committed, one conditional GET). Above 0, the question
   *  is skipped; in the versioned layout the worker asks in the background every
   *  maxStalenessMs / 2 while reads keep coming. Trades freshness for latency and requests. */
  maxStalenessMs?: number;
  /** Bytes a range GET fetches (default 64 KiB; 0: never) when a read touches a block
   *  for the first time out of sequence (a lookup, not a scan) and blocks are at least 4x
   *  larger. A second miss in that block fetches it whole. Saves time and transfer on
   *  sparse reads of large databases; costs one GET more per block read twice. */
  rangeReadSize?: number;
  /** The layout of new databases (default 'versioned': immutable blocks, a manifest whose
   *  conditional PUT is the commit point, a single-writer lease; needs an S3 that honours
   *  If-Match / If-None-Match). 'compat' writes the Python sqlite-s3vfs layout. An existing
   *  database is always opened in the layout it has. See docs/FORMAT.md. */
  layout?: 'versioned' | 'compat';
  /** How long a writer's lease lasts without renewal (default 30 s): after a crash, other
   *  writers wait this long. It is renewed while the writer works. */
  leaseTtlMs?: number;
  /** Longest wait for one VFS operation before the VFS gives up for good (default 120 s). */
  timeoutMs?: number;
  /** TCP connect timeout towards S3 (default 3 s) and per-request timeout (default 30 s). */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Bytes of blocks kept on this machine's disk, for every connection, process and later run
   *  of the machine (default 1 GiB, and never more than half the free space; 0: none). Only
   *  immutable objects are kept (the versioned layout's blocks), so nothing kept goes stale. */
  diskCacheSize?: number;
  /** Where the disk cache lives (default: sqlite-s3vfs-cache-<uid> in the OS temporary
   *  directory). Several processes may share it. */
  cacheDir?: string;
}

let unnamed = 0;
const instances = new Map<string, WeakRef<S3VFS>>(); // of this thread, for lookup by name

export class S3VFS {
  /** The registered SQLite VFS name. */
  readonly name: string;
  readonly bucket: string;
  readonly blockSize: number;
  private readonly cacheBytes: number;
  private readonly concurrency: number;
  private readonly bridge: MainBridge;
  private readonly counters = new Counters();
  private readonly worker: Worker;
  private readonly rpc: RpcClient<WorkerMethods>;
  private readonly databases = new Set<BetterSqlite3.Database>();
  private baseline: Partial<VfsStats> = {};
  private closed: Promise<void> | null = null;
  /** The main thread's counters as they stood when the native VFS was destroyed. */
  private nativeAtClose: ReturnType<ReturnType<typeof binding>['cacheStats']> | undefined;

  constructor(options: S3VFSOptions) {
    const o = resolveOptions(options);
    const bucket = o.bucket;
    this.bucket = bucket;
    this.blockSize = o.blockSize;
    this.name = o.name ?? `s3vfs-${process.pid}-${++unnamed}-${Math.random().toString(36).slice(2, 8)}`;

    const b = binding();
    const L = b.layout;
    // The shared buffer carries whole blocks to the main thread's cache.
    this.bridge = new MainBridge(L, Math.max(LIMITS.bridgeDataBytes, this.blockSize), {
      timeoutMs: o.timeoutMs,
      deadAfterMs: LIMITS.workerDeadAfterMs,
    });
    this.cacheBytes = o.cacheSize;
    this.concurrency = o.concurrency;
    const config: WorkerConfig = {
      sab: this.bridge.sab,
      statsSab: this.counters.sab,
      layout: { ...L },
      connection: {
        bucket,
        s3: o.s3,
        connectTimeoutMs: o.connectTimeoutMs,
        requestTimeoutMs: o.requestTimeoutMs,
        maxSockets: LIMITS.maxSockets,
      },
      blockSize: this.blockSize,
      cacheBytes: this.cacheBytes,
      concurrency: o.concurrency,
      maxStalenessMs: o.maxStalenessMs,
      newLayout: o.layout,
      leaseTtlMs: o.leaseTtlMs,
      rangeReadSize: o.rangeReadSize,
      diskCache: { dir: o.cacheDir, maxBytes: o.diskCacheSize === 0 ? 0 : diskCacheLimit(o.cacheDir, o.diskCacheSize) },
      testHooks: process.env.S3VFS_TEST_HOOKS === '1',
    };
    b.createVfs(this.name, this.bridge.i32, this.bridge.waitForReply, this.cacheBytes, lockSpace(bucket, options.s3));
    try {
      this.worker = new Worker(path.join(__dirname, 'worker', 'worker-main.js'), { workerData: config });
    } catch (err) {
      b.destroyVfs(this.name);
      if ((err as Error).name === 'DataCloneError') {
        // Not the clone error's own message: it quotes the value, a provider's source included.
        const what = typeof options.s3?.credentials === 'function' ? 's3.credentials is a function (a credential provider)' : 'an s3 option is not plain data';
        throw new TypeError(
          `the s3 options must be plain data (they go to a worker thread): ${what}; ` +
            'pass credentials as { accessKeyId, secretAccessKey, sessionToken }, or leave them out for the AWS chain',
        );
      }
      throw err;
    }
    instances.set(this.name, new WeakRef(this));
    this.rpc = new RpcClient(this.worker, (waiting) => (waiting ? this.worker.ref() : this.worker.unref()));
    this.worker.on('error', (err) => this.bridge.fail(new S3VFSError(`the S3 worker thread failed: ${err.message}`, 'EWORKERDEAD')));
    this.worker.on('exit', (code) => {
      const err = new S3VFSError(`the S3 worker thread exited (code ${code})`, 'EWORKERDEAD');
      this.bridge.fail(err);
      this.rpc.failAll(err);
    });
    // Scripts must be able to exit; commits are already durable, close() makes the rest so.
    // (After the listeners: adding a 'message' listener refs the worker again.)
    this.worker.unref();
  }

  /** The S3VFS of this thread registered under that name, if any. */
  static byName(name: string): S3VFS | undefined {
    const vfs = instances.get(name)?.deref();
    return vfs && !vfs.closed ? vfs : undefined;
  }

  private usable(): void {
    if (this.closed) throw new S3VFSError(`S3VFS '${this.name}' is closed`, 'ECLOSED');
  }

  /** Opens (creating unless told otherwise) the database stored under `prefix`. */
  open(prefix: string, options?: DatabaseOptions): BetterSqlite3.Database {
    this.usable();
    const db = openOn(this, prefix, this.cacheBytes, options);
    this.databases.add(db);
    const close = db.close.bind(db);
    db.close = () => {
      this.databases.delete(db);
      return close();
    };
    return db;
  }

  /** The bytes of the database under `prefix`, as a plain SQLite file. */
  serialize(prefix: string): Readable {
    this.usable();
    checkPrefix(prefix);
    return serializeFrom(this.rpc, this.bucket, prefix);
  }

  /** Writes a plain SQLite file, from any (async) iterable of byte chunks, under `prefix`. */
  async deserialize(prefix: string, source: ByteSource): Promise<DeserializeReport> {
    this.usable();
    checkPrefix(prefix);
    this.notOpenHere(prefix, 'deserialize into');
    return deserializeInto(this.rpc, prefix, source, this.blockSize, this.concurrency);
  }

  /**
   * Deletes the block objects of a versioned database that its manifest no longer lists
   * and that have been unreferenced for at least `olderThan` ms (default 1 hour), so that
   * a reader still in a transaction on an older manifest can finish it. Never deletes a
   * block the manifest lists, nor a writer's uploads for its next commit. A block that
   * has not been unreferenced that long is recorded (N/gc.json) and deleted by a later run.
   */
  async gc(prefix: string, options: { olderThan?: number } = {}): Promise<GcReport> {
    this.usable();
    checkPrefix(prefix);
    const olderThan = milliseconds('olderThan', options.olderThan, LIMITS.gcOlderThanMs);
    return this.rpc.call('gc', prefix, olderThan);
  }

  /**
   * Converts a database in the seed layout to the versioned layout in place: one PUT of a
   * manifest that lists the existing blocks; nothing is copied. A hot journal left by a
   * crashed writer is rolled back first. No seed-layout writer (this library with
   * layout 'compat', or the Python sqlite-s3vfs) may write to it during or after this.
   * Returns migrated: false if it was versioned already.
   */
  /** The databases directly under `under` (a prefix, or '' for the top of the bucket), with
   *  their layout and size: one LIST, then a request or two per database. */
  async list(under = ''): Promise<DatabaseEntry[]> {
    this.usable();
    if (under !== '') checkPrefix(under);
    return this.rpc.call('list', under);
  }

  /** The state of a database: layout, page and block size, size; for a versioned one its
   *  commit number, lease holder and the garbage gc would collect. */
  async info(prefix: string): Promise<DatabaseInfo> {
    this.usable();
    checkPrefix(prefix);
    return this.rpc.call('info', prefix);
  }

  async migrate(prefix: string): Promise<MigrateReport> {
    this.usable();
    checkPrefix(prefix);
    this.notOpenHere(prefix, 'migrate');
    try {
      return await this.rpc.call('migrate', prefix);
    } catch (err) {
      if ((err as S3VFSError).code !== 'EHOTJOURNAL') throw err;
    }
    // SQLite rolls a hot journal back when a connection first reads the database.
    const db = this.open(prefix, { fileMustExist: true });
    try {
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
    } finally {
      db.close();
    }
    return this.rpc.call('migrate', prefix);
  }

  private notOpenHere(prefix: string, what: string): void {
    for (const db of this.databases) {
      if (db.open && db.name === prefix) throw new S3VFSError(`cannot ${what} '${prefix}' while it is open; close it first`, 'EBUSY');
    }
  }

  /** Fetches the database's blocks into the cache in parallel (up to the cache's size),
   *  so that the first queries need no round trip to S3. Returns the blocks fetched. */
  async prefetch(prefix: string): Promise<number> {
    this.usable();
    checkPrefix(prefix);
    const r = await this.rpc.call('prefetch', prefix, this.cacheBytes);
    return r.blocks;
  }

  /** S3 requests, bytes and cache lookups since creation or the last resetStats(). */
  stats(): VfsStats {
    const now = this.rawStats();
    for (const k of Object.keys(now) as (keyof VfsStats)[]) now[k] -= this.baseline[k] ?? 0;
    return now;
  }

  private rawStats(): VfsStats {
    const [mainCacheHits, mainCacheMisses, , pagesWritten, bridgeBytes, , mainDiskReads, mainDiskDamaged, mainDiskOpened] =
      this.nativeAtClose ?? binding().cacheStats(this.name);
    const worker = this.counters.read();
    // A block the main thread reads from its disk-cache entry is a disk hit the worker never saw.
    const diskHits = worker.diskHits + mainDiskOpened;
    return { ...worker, diskHits, mainCacheHits, mainCacheMisses, mainDiskReads, mainDiskDamaged, bridgeCrossings: this.bridge.crossings, bridgeBytes, pagesWritten };
  }

  resetStats(): void {
    this.baseline = this.rawStats();
  }

  /** The last error the S3 side reported (also attached as `cause` to the SqliteError). */
  get lastError(): Error | null {
    return this.bridge.lastError;
  }

  /** Closes the databases opened through this VFS, uploads anything pending, stops the worker. */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    let failure: unknown;
    for (const db of [...this.databases]) {
      try {
        if (db.open) db.close();
      } catch (err) {
        failure ??= err;
      }
    }
    this.databases.clear();
    try {
      if (!this.bridge.failure) await this.rpc.call('shutdown');
    } catch (err) {
      failure ??= err;
    }
    this.bridge.fail(new S3VFSError(`S3VFS '${this.name}' is closed`, 'ECLOSED'));
    await this.worker.terminate();
    // The counters outlive the native side: stats() after close() tells what the VFS did.
    this.nativeAtClose = binding().cacheStats(this.name);
    binding().destroyVfs(this.name);
    instances.delete(this.name);
    if (failure) throw failure;
  }

  /** Test hooks (only with S3VFS_TEST_HOOKS=1): make the worker crash or stall, or evict a
   *  file's clean blocks from the worker's cache. */
  _testHook<K extends keyof WorkerTestHooks>(name: K, ...args: Parameters<WorkerTestHooks[K]>): Promise<void> {
    return this.rpc.call(name, ...(args as never)) as Promise<void>;
  }
}

/** Names the bucket for the process's lock table: its endpoint (or region) and name. */
function lockSpace(bucket: string, s3: S3VFSOptions['s3']): string {
  const ep = s3?.endpoint;
  const where = typeof ep === 'string' ? ep : ep ? JSON.stringify(ep) : `aws:${String(s3?.region ?? '')}`;
  return `${where}|${bucket}`;
}
