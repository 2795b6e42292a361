// vfs.deserialize(): cuts a plain SQLite file, arriving in chunks of any size, into
// blocks and uploads them; block 0 last, so no reader opens a half-written database.
import { S3VFSError } from './errors';
import type { RpcClient } from './rpc';
import type { WorkerApi } from './worker/worker-api';

// A whole file in one Uint8Array (what fs.readFileSync and better-sqlite3's serialize()
// return) is taken as one chunk: iterating it would yield numbers, one per byte.
export type ByteSource = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

const MAGIC = 'SQLite format 3\0';

/** The page size a SQLite header declares, or an error naming what is wrong. */
export function pageSizeOf(header: Uint8Array): number {
  if (header.length < 100 || Buffer.from(header.subarray(0, 16)).toString('latin1') !== MAGIC) {
    throw new S3VFSError('the source is not a SQLite database (no "SQLite format 3" header)', 'ENOTADB');
  }
  const raw = (header[16] << 8) | header[17];
  const size = raw === 1 ? 65536 : raw;
  if (size < 512 || size > 65536 || (size & (size - 1)) !== 0) {
    throw new S3VFSError(`the source's header declares an impossible page size (${raw})`, 'ENOTADB');
  }
  return size;
}

/** What deserialize did: the bytes and pages written, and anything it changed on the way. */
export interface DeserializeReport {
  bytes: number;
  pages: number;
  /** Changes made so that the database can be opened, each explained. */
  notes: string[];
}

/**
 * The page count a header records, when SQLite would trust it: non-zero, and written by a
 * version that kept it (its change counter, bytes 24-27, equals bytes 92-95).
 */
function headerPageCount(header: Uint8Array): number | null {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const pages = view.getUint32(28);
  return pages > 0 && view.getUint32(24) === view.getUint32(92) ? pages : null;
}

const WAL_NOTE =
  'the file was in WAL mode (header bytes 18-19 were 2); they were set to 1, the rollback-journal mode that S3 supports. ' +
  'Transactions still in its -wal file were not part of the file: checkpoint it (PRAGMA wal_checkpoint) before importing';

/** `concurrency` blocks at most are in flight (and in memory) at once. */
export async function deserializeInto(rpc: RpcClient<WorkerApi>, prefix: string, given: ByteSource, blockSize: number, concurrency: number): Promise<DeserializeReport> {
  const source = given instanceof Uint8Array ? [given] : given;
  if (!source || (typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== 'function' &&
      typeof (source as Iterable<Uint8Array>)[Symbol.iterator] !== 'function')) {
    throw new TypeError('deserialize needs a Buffer, a Readable or an (async) iterable of Uint8Array chunks');
  }
  await rpc.call('deserializeBegin', prefix);
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let index = 0;
  let size = 0;
  let block0: Uint8Array | null = null;
  let head = new Uint8Array(0);
  const notes: string[] = [];
  const inFlight = new Set<Promise<unknown>>();

  const emit = async (bytes: Uint8Array) => {
    if (index === 0) {
      // Without shared memory a WAL-mode database cannot be opened: it becomes one with a
      // rollback journal (bytes 18 and 19, the file format's write and read versions).
      if (bytes.length >= 20 && (bytes[18] === 2 || bytes[19] === 2)) {
        bytes[18] = 1;
        bytes[19] = 1;
        notes.push(WAL_NOTE);
      }
      block0 = bytes;
    }
    else {
      const p: Promise<unknown> = rpc.call('putBlock', prefix, index, bytes).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    index++;
  };
  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const first = pending[0];
      const k = Math.min(first.length, n - at);
      out.set(first.subarray(0, k), at);
      at += k;
      if (k === first.length) pending.shift();
      else pending[0] = first.subarray(k);
    }
    pendingBytes -= n;
    return out;
  };

  try {
    for await (const chunk of source as AsyncIterable<Uint8Array>) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError(`deserialize: chunks must be Uint8Array or Buffer, got ${typeof chunk}`);
      if (chunk.length === 0) continue;
      if (head.length < 100) {
        const h = new Uint8Array(Math.min(100, head.length + chunk.length));
        h.set(head);
        h.set(chunk.subarray(0, h.length - head.length), head.length);
        head = h;
        if (head.length === 100) pageSizeOf(head);
      }
      size += chunk.length;
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pendingBytes >= blockSize) await emit(take(blockSize));
    }
    if (size === 0) throw new S3VFSError('the source is empty: there is no database to deserialize', 'ENOTADB');
    const pageSize = pageSizeOf(head);
    if (size % pageSize !== 0) {
      throw new S3VFSError(`the source has ${size} bytes, not a whole number of ${pageSize}-byte pages: is it truncated?`, 'ENOTADB');
    }
    const declared = headerPageCount(head);
    if (declared !== null && size < declared * pageSize) {
      throw new S3VFSError(
        `the source has ${size / pageSize} pages but its header says the database has ${declared}: it is cut short (truncated?); nothing was written`,
        'ENOTADB',
      );
    }
    if (pendingBytes > 0) await emit(take(pendingBytes));
    await Promise.all(inFlight);
    await rpc.call('deserializeEnd', prefix, size, block0!);
    return { bytes: size, pages: size / pageSize, notes };
  } catch (err) {
    await Promise.allSettled(inFlight);
    await rpc.call('deserializeAbort', prefix, 1).catch(() => undefined);
    throw err;
  } finally {
    pending = [];
  }
}
