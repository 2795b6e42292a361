// Blocks kept on the local disk, so that a database read once on a machine is read from
// disk by every later connection, thread, process and run there: only immutable objects
// are kept (the versioned layout's blocks, whose keys are never reused), so an entry never
// goes stale and needs no revalidation. Files are named by a hash of the endpoint, bucket
// and key; each is written under a temporary name and renamed, so several processes can
// share the directory and a reader never sees half a file. Each file ends with a trailer of
// CRC32s (entryTrailer; docs/FORMAT.md, "The disk cache"): one per 4 KiB chunk, by which
// the main thread checks the pages it reads from the file itself (native/disk_entry.h),
// one of all the bytes, and one of the trailer. An entry of the wrong length or checksum (a
// crash before the data reached the disk, a damaged disk) is deleted and fetched again,
// whatever the manifest records; CachedFile checks the manifest's CRC32 too. The directory is kept
// under its size limit by deleting the least recently used files (a hit touches its mtime).
// Nothing here may fail a query: every error is a cache miss.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Counters } from '../stats';
import { mapLimit } from './map-limit';

/** Bytes written by this process between two scans of the directory for eviction. */
const SCAN_EVERY_FRACTION = 0.1;
/** An entry's data is checked in chunks of this many bytes (the bridge layout's
 *  DISK_CHUNK_BYTES, which the main thread uses: the codec test checks they agree). */
export const DISK_CHUNK = 4096;
/** Entries' file names end so; files of other names (an older format's `.block`) are only
 *  counted for eviction. */
const ENTRY_SUFFIX = '.block2';

/** Bytes after `length` bytes of data: a CRC32 per chunk, of the data, and of those. */
export function trailerBytes(length: number): number {
  return 4 * Math.ceil(length / DISK_CHUNK) + 8;
}

/** The trailer of an entry of `data`, whose CRC32 is `sum`: each chunk's CRC32, `sum`, then
 *  the CRC32 of what precedes it in the trailer, all uint32 little-endian. */
export function entryTrailer(data: Uint8Array, sum: number): Buffer {
  const chunks = Math.ceil(data.length / DISK_CHUNK);
  const out = Buffer.allocUnsafe(4 * chunks + 8);
  for (let i = 0; i < chunks; i++) out.writeUInt32LE(crc32(data.subarray(i * DISK_CHUNK, (i + 1) * DISK_CHUNK)), 4 * i);
  out.writeUInt32LE(sum, 4 * chunks);
  out.writeUInt32LE(crc32(out.subarray(0, 4 * chunks + 4)), 4 * chunks + 4);
  return out;
}

/** Deletes a file; false when it could not be (read-only, in use): eviction goes on. */
async function removeQuietly(file: string): Promise<boolean> {
  return fs.promises.rm(file, { force: true }).then(
    () => true,
    () => false,
  );
}

/** A temporary file this old was left by a process that died while writing it. */
const STALE_TMP_MS = 10 * 60 * 1000;
/** Entries putSoon() writes at once. */
const PUT_SOON_LANES = 4;
/** Eviction brings the directory down to this fraction of its limit. */
const EVICT_TO_FRACTION = 0.9;

/** The CRC32 of an entry's first `length` bytes, read as `size` bytes into `bytes`, when the
 *  entry is whole and its trailer agrees with itself and with the data; undefined if not. */
function trailerSum(bytes: Buffer, length: number, size: number): number | undefined {
  const trailer = trailerBytes(length);
  if (size !== length + trailer) return undefined;
  const table = bytes.subarray(length, length + trailer - 4);
  if (crc32(table) !== bytes.readUInt32LE(length + trailer - 4)) return undefined;
  const sum = crc32(bytes.subarray(0, length));
  return sum === bytes.readUInt32LE(length + trailer - 8) ? sum : undefined;
}

export class DiskCache {
  private writtenSinceScan = 0;
  private scanning: Promise<void> | undefined;
  /** Writes under way, so that close() can wait for them. */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    /** The endpoint and bucket: the same key in another bucket is another object. */
    private readonly namespace: string,
    private readonly counters: Counters,
  ) {}

  pathOf(key: string): string {
    const h = createHash('sha256').update(this.namespace).update('\n').update(key).digest('hex');
    return path.join(this.dir, h.slice(0, 2), `${h.slice(2)}${ENTRY_SUFFIX}`);
  }

  /** The object's bytes if this machine has them and they are `length` long, with their
   *  CRC32 (checked against the file's trailer: a caller that checks it against a record of
   *  its own need not compute it again). */
  async get(key: string, length: number): Promise<{ bytes: Uint8Array; crc32: number } | undefined> {
    const file = this.pathOf(key);
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(file);
    } catch {
      this.counters.add('diskMisses');
      return undefined;
    }
    const sum = trailerSum(bytes, length, bytes.length);
    if (sum === undefined) {
      // Truncated, damaged or not ours: never used, and gone for the next reader.
      await this.drop(key);
      this.counters.add('diskMisses');
      return undefined;
    }
    this.hit(file, length);
    return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, length), crc32: sum };
  }

  /** Counts a hit on `file`, and makes it recently used (evicted last). */
  private hit(file: string, length: number): void {
    this.counters.add('diskHits');
    this.counters.add('bytesFromDisk', length);
    const now = new Date();
    fs.promises.utimes(file, now, now).catch(() => undefined);
  }

  /** Whether this machine has the object (a read that would take a piece of it takes all). */
  async has(key: string): Promise<boolean> {
    return fs.promises.access(this.pathOf(key)).then(
      () => true,
      () => false,
    );
  }

  /** Keeps the bytes, in the background: a failure (a full disk) only costs a later GET.
   *  `sum` is their CRC32 when the caller has it already. The trailer is made now, from the
   *  bytes as they are: should they change before the write, the entry's chunks no longer
   *  match their sums, and a reader refuses it. */
  put(key: string, bytes: Uint8Array, sum = crc32(bytes)): void {
    this.background(this.write(key, bytes, entryTrailer(bytes, sum)));
  }

  /**
   * Keeps several objects' bytes (which must not change any more), starting once the
   * current turn of the event loop is over (a reply to the main thread goes first), a few
   * at a time; flush() waits for them as for any put.
   */
  putSoon(items: { key: string; bytes: Uint8Array; sum: number }[]): void {
    if (items.length === 0) return;
    const afterReply = new Promise<void>((resolve) => setImmediate(resolve));
    this.background(
      afterReply.then(() =>
        mapLimit(items, PUT_SOON_LANES, async ({ key, bytes, sum }) => {
          try {
            await this.write(key, bytes, entryTrailer(bytes, sum));
          } catch {
            // One entry that fails does not stop the others.
          }
        }),
      ),
    );
  }

  /** Work on the directory that nobody waits for but flush(): a failure (a full disk)
   *  only costs a later GET. */
  private background(work: Promise<unknown>): void {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(done);
    done.finally(() => this.pending.delete(done));
  }

  private async write(key: string, bytes: Uint8Array, trailer: Buffer): Promise<void> {
    const file = this.pathOf(key);
    // Not recursive: if the checked directory itself has gone (a temp cleaner), the cache
    // misses rather than recreate it unchecked where another user may have made it first.
    await fs.promises.mkdir(path.dirname(file), { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      // Data and trailer in one write, without joining them: a copy of a whole block in new
      // memory costs more than the write on some machines (a page fault per 4 KiB).
      const handle = await fs.promises.open(tmp, 'w', 0o600);
      try {
        const { bytesWritten } = await handle.writev([bytes, trailer]);
        if (bytesWritten !== bytes.length + trailer.length) throw new Error(`short write to ${tmp}`);
      } finally {
        await handle.close();
      }
      await fs.promises.rename(tmp, file);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    this.writtenSinceScan += bytes.length;
    // What was written while a scan ran counts towards the next one (or flush's).
    if (this.writtenSinceScan >= this.maxBytes * SCAN_EVERY_FRACTION && !this.scanning) {
      this.writtenSinceScan = 0;
      this.scanning = this.evict()
        .catch(() => undefined)
        .finally(() => (this.scanning = undefined));
    }
  }

  /** Forgets an entry (its bytes were found damaged). */
  drop(key: string): Promise<void> {
    return fs.promises.rm(this.pathOf(key), { force: true }).catch(() => undefined);
  }

  /** Deletes the least recently used files until the directory is under its limit. */
  async evict(): Promise<void> {
    const files: { file: string; size: number; used: number }[] = [];
    let total = 0;
    for (const sub of await fs.promises.readdir(this.dir).catch(() => [] as string[])) {
      const subdir = path.join(this.dir, sub);
      for (const name of await fs.promises.readdir(subdir).catch(() => [] as string[])) {
        const file = path.join(subdir, name);
        const st = await fs.promises.stat(file).catch(() => undefined);
        if (!st) continue;
        if (!name.endsWith(ENTRY_SUFFIX) && !name.endsWith('.block')) {
          // A write a killed process never renamed: nobody will.
          if (name.endsWith('.tmp') && Date.now() - st.mtimeMs > STALE_TMP_MS) await removeQuietly(file);
          continue;
        }
        files.push({ file, size: st.size, used: st.mtimeMs });
        total += st.size;
      }
    }
    if (total <= this.maxBytes) return;
    files.sort((a, b) => a.used - b.used);
    for (const f of files) {
      if (total <= this.maxBytes * EVICT_TO_FRACTION) break;
      if (await removeQuietly(f.file)) total -= f.size;
    }
  }

  /** Waits for the writes under way, then brings the directory under its limit (at shutdown:
   *  between scans, writes may have taken it past). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
    await this.scanning;
    if (this.writtenSinceScan > 0) {
      this.writtenSinceScan = 0;
      await this.evict().catch(() => undefined);
    }
  }
}

/**
 * The cache's size: the option, but never more than half the disk's free space; 0 (no disk
 * cache, with a warning) when the directory cannot be used or is not private: the blocks are
 * the database's contents, and the default directory is in a temporary directory every user
 * can write to, where another user could have made it first.
 */
export function diskCacheLimit(dir: string, wanted: number): number {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const own = fs.lstatSync(dir);
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    if (!own.isDirectory() || (uid !== undefined && own.uid !== uid) || (process.platform !== 'win32' && (own.mode & 0o077) !== 0)) {
      process.emitWarning(`sqlite-s3vfs: the disk cache is off: ${dir} is not a directory that only this user may read and write ` +
        '(set cacheDir to one that is, or diskCacheSize: 0)');
      return 0;
    }
    const st = fs.statfsSync(dir);
    return Math.min(wanted, Math.floor((st.bavail * st.bsize) / 2));
  } catch (err) {
    process.emitWarning(`sqlite-s3vfs: the disk cache is off: ${dir} cannot be used (${(err as Error).message})`);
    return 0;
  }
}
