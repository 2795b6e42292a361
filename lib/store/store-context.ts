// What every file of the block store shares in one worker: the bucket, the cache and the
// settings that shape its requests.
import type { BlockCache } from './block-cache';
import type { ConditionalWritesProbe } from './conditional-probe';
import type { DiskCache } from './disk-cache';
import type { ObjectStore } from './object-store';

export interface StoreContext {
  s3: ObjectStore;
  /** Block size of new files; a file listed with two or more blocks uses its own. */
  blockSize: number;
  cache: BlockCache;
  concurrency: number;
  /** A file with more than this many bytes waiting in memory moves them to disk (spill()). */
  maxDirtyBytes: number;
  /** Where spill files go: cacheDir (the OS temporary directory unless set). */
  spillDir?: string;
  /** A read transaction trusts the cache without asking S3 if it was checked this recently. */
  maxStalenessMs: number;
  /** Bytes of a range GET for a first, out-of-sequence read of a large block; 0: none. */
  rangeReadSize: number;
  /** The layout of new databases: versioned (manifest, leases) or the seed's. */
  layout: 'versioned' | 'compat';
  /** How long a writer's lease lasts without renewal. */
  leaseTtlMs: number;
  /** Immutable blocks kept on this machine's disk (none: undefined). */
  disk: DiskCache | undefined;
  /** Asks the server, once, whether it honours conditional writes (versioned layout). */
  conditional: ConditionalWritesProbe;
  /** Tells the main thread that a read transaction would find a file changed (a refresh in
   *  the background saw a commit, an upload failed): it ends every window in which the main
   *  thread begins read transactions without asking (bridge slot NEWS). */
  news(): void;
}
