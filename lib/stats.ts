// Request and cache counters, kept in a SharedArrayBuffer that the worker writes and
// the main thread reads at any moment without a round trip.

const FIELDS = ['get', 'getRange', 'put', 'list', 'delete', 'head', 'bytesDown', 'bytesUp', 'cacheHits', 'cacheMisses', 'retries', 'diskHits', 'diskMisses', 'bytesFromDisk', 'bytesSpilled'] as const;
export type CounterName = (typeof FIELDS)[number];

export interface VfsStats {
  /** S3 requests by type. */
  get: number;
  /** Of those GETs, the range GETs of part of a block (see S3VFSOptions.rangeReadSize). */
  getRange: number;
  put: number;
  list: number;
  delete: number;
  head: number;
  /** Attempts repeated because no whole answer came within requestTimeoutMs (a stalled body, say). */
  retries: number;
  /** Body bytes received from and sent to S3. */
  bytesDown: number;
  bytesUp: number;
  /** Reads that the main thread's block cache served, and those that crossed to the worker for blocks. */
  mainCacheHits: number;
  mainCacheMisses: number;
  /** Of the hits, reads the main thread made itself from blocks' entries in this machine's
   *  disk cache, checking each 4 KiB chunk's CRC32 the first time it read it: with a working
   *  set larger than the memory cache, those blocks stay on disk, read as the OS serves a
   *  local database. */
  mainDiskReads: number;
  /** Disk-cache entries the main thread found damaged (deleted, and the block read from S3). */
  mainDiskDamaged: number;
  /** Block lookups in the worker's cache. A miss starts a GET on demand; a block that
   *  read-ahead is already fetching counts as a hit. */
  cacheHits: number;
  cacheMisses: number;
  /** Blocks read from this machine's disk cache instead of S3 (by the worker, or opened there
   *  by the main thread), and lookups by the worker that found none there (options cacheDir,
   *  diskCacheSize). */
  diskHits: number;
  diskMisses: number;
  /** Bytes the worker's hits read from disk (the main thread reads only the pages it needs). */
  bytesFromDisk: number;
  /** Bytes of written blocks that a transaction larger than the memory cache moved to a
   *  local spill file to wait for its commit (in cacheDir). */
  bytesSpilled: number;
  /** Synchronous main-thread to worker round trips. */
  bridgeCrossings: number;
  /** Bytes the bridge carried between the threads, both ways (blocks read, changes written). */
  bridgeBytes: number;
  /** Database pages SQLite wrote (a page written twice in a transaction counts twice):
   *  bridgeCrossings / pagesWritten and bridgeBytes / pagesWritten are what a written page costs. */
  pagesWritten: number;
}

export class Counters {
  readonly view: Float64Array;
  constructor(sab: SharedArrayBuffer = new SharedArrayBuffer(FIELDS.length * 8)) {
    this.view = new Float64Array(sab);
  }
  get sab(): SharedArrayBuffer {
    return this.view.buffer as SharedArrayBuffer;
  }
  add(name: CounterName, n = 1): void {
    this.view[FIELDS.indexOf(name)] += n;
  }
  read(): Record<CounterName, number> {
    const out = {} as Record<CounterName, number>;
    FIELDS.forEach((f, i) => (out[f] = this.view[i]));
    return out;
  }
}
