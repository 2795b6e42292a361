// Every option of new S3VFS() with its default and its check, and the fixed limits the
// library works within: the one table the API, the command line and the README use
// (test/readme.test.js checks the README's option table against OPTION_DEFAULTS).
import os from 'node:os';
import path from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The defaults of new S3VFS()'s options. */
export const OPTION_DEFAULTS = {
  // Chosen with npm run bench at 20 ms per request (bench/RESULTS.md): against 64 KiB and
  // 256 KiB it makes a cold scan and cold lookups 2-7x faster for the same ETL time.
  blockSize: 1 * MiB,
  cacheSize: 64 * MiB,
  maxStalenessMs: 0,
  rangeReadSize: 64 * KiB,
  layout: 'versioned' as 'versioned' | 'compat',
  diskCacheSize: 1024 * MiB,
  leaseTtlMs: 30_000,
  concurrency: 32,
  timeoutMs: 120_000,
  connectTimeoutMs: 3000,
  requestTimeoutMs: 30_000,
};

/** Fixed limits and intervals: not options, but in one place, each with its reason. */
export const LIMITS = {
  /** Largest block size: a block crosses the bridge whole, and S3 PUTs it in one request. */
  maxBlockSize: 64 * MiB,
  /** Bytes the bridge's shared buffer carries per crossing (at least one block). */
  bridgeDataBytes: 4 * MiB,
  /** The worker's heartbeat, and how long without one before the main thread calls it dead. */
  heartbeatMs: 100,
  workerDeadAfterMs: 10_000,
  /** Sockets the worker keeps open to S3 (above `concurrency`: range reads and lease renewals run beside uploads). */
  maxSockets: 64,
  /** Keys one DeleteObjects request may name (S3's own limit). */
  deleteBatch: 1000,
  /** gc keeps unreferenced blocks at least this long by default (a reader's transaction may still use them). */
  gcOlderThanMs: 60 * 60 * 1000,
};

export interface ResolvedOptions {
  bucket: string;
  blockSize: number;
  s3: S3ClientConfig;
  name: string | undefined;
  cacheSize: number;
  maxStalenessMs: number;
  rangeReadSize: number;
  layout: 'versioned' | 'compat';
  leaseTtlMs: number;
  concurrency: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  diskCacheSize: number;
  cacheDir: string;
}

/** Where the disk cache lives unless cacheDir says otherwise: shared by every process of the user. */
export function defaultCacheDir(): string {
  return path.join(os.tmpdir(), `sqlite-s3vfs-cache-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`);
}

function positiveInt(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new TypeError(`${name} must be a positive integer, got ${String(v)}`);
  return v;
}

export function milliseconds(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(v >= 0)) throw new TypeError(`${name} must be a number of milliseconds >= 0, got ${String(v)}`);
  return v;
}

/** Checks every option, naming the one that is wrong, and fills in the defaults. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (!options || typeof options !== 'object') throw new TypeError('new S3VFS({ bucket, ... }) needs an options object');
  const o = options as Record<string, unknown>;
  const D = OPTION_DEFAULTS;
  if (typeof o.bucket !== 'string' || !/^[a-zA-Z0-9.\-_]{1,255}$/.test(o.bucket)) {
    throw new TypeError(`bucket must be an S3 bucket name, got ${JSON.stringify(o.bucket)}`);
  }
  const blockSize = positiveInt('blockSize', o.blockSize, D.blockSize);
  if (blockSize > LIMITS.maxBlockSize) throw new RangeError(`blockSize ${blockSize} is larger than ${LIMITS.maxBlockSize / MiB} MiB`);
  if (o.name !== undefined && (typeof o.name !== 'string' || !o.name)) throw new TypeError('name must be a non-empty string');
  if (o.layout !== undefined && o.layout !== 'versioned' && o.layout !== 'compat') {
    throw new TypeError(`layout must be 'versioned' or 'compat', got ${JSON.stringify(o.layout)}`);
  }
  return {
    bucket: o.bucket,
    blockSize,
    s3: (o.s3 as S3ClientConfig | undefined) ?? {},
    name: o.name as string | undefined,
    cacheSize: positiveInt('cacheSize', o.cacheSize, D.cacheSize),
    maxStalenessMs: milliseconds('maxStalenessMs', o.maxStalenessMs, D.maxStalenessMs),
    rangeReadSize: o.rangeReadSize === 0 ? 0 : positiveInt('rangeReadSize', o.rangeReadSize, D.rangeReadSize),
    layout: (o.layout as 'versioned' | 'compat' | undefined) ?? D.layout,
    leaseTtlMs: positiveInt('leaseTtlMs', o.leaseTtlMs, D.leaseTtlMs),
    concurrency: positiveInt('concurrency', o.concurrency, D.concurrency),
    timeoutMs: positiveInt('timeoutMs', o.timeoutMs, D.timeoutMs),
    connectTimeoutMs: positiveInt('connectTimeoutMs', o.connectTimeoutMs, D.connectTimeoutMs),
    requestTimeoutMs: positiveInt('requestTimeoutMs', o.requestTimeoutMs, D.requestTimeoutMs),
    diskCacheSize: o.diskCacheSize === 0 ? 0 : positiveInt('diskCacheSize', o.diskCacheSize, D.diskCacheSize),
    cacheDir: cacheDirOption(o.cacheDir),
  };
}

function cacheDirOption(v: unknown): string {
  if (v === undefined) return defaultCacheDir();
  if (typeof v !== 'string' || !v) throw new TypeError(`cacheDir must be a directory path, got ${JSON.stringify(v)}`);
  return path.resolve(v);
}

/** A default as the README and the command line's help write it: 1 MiB, 30 000, 'versioned'. */
export function describeDefault(value: number | string): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value >= 1024 * MiB && value % (1024 * MiB) === 0) return `${value / (1024 * MiB)} GiB`;
  if (value >= MiB && value % MiB === 0) return `${value / MiB} MiB`;
  if (value >= KiB && value % KiB === 0) return `${value / KiB} KiB`;
  return value >= 10_000 ? value.toLocaleString('en-US').replace(/,/g, ' ') : String(value);
}
