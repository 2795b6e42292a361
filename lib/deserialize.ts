// vfs.deserialize(): cuts a plain SQLite file, arriving in chunks of any size, into
// blocks and uploads them; block 0 last, so no reader opens a half-written database.
import { S3VFSError } from './errors';
import type { RpcClient } from './rpc';

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

const MAGIC = 'SQLite format 3\0';
const IN_FLIGHT = 16;

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

export async function deserializeInto(rpc: RpcClient, prefix: string, source: ByteSource, blockSize: number): Promise<void> {
  if (!source || (typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== 'function' &&
      typeof (source as Iterable<Uint8Array>)[Symbol.iterator] !== 'function')) {
    throw new TypeError('deserialize needs a Readable or an (async) iterable of Uint8Array chunks');
  }
  await rpc.call('deserializeBegin', prefix);
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let index = 0;
  let size = 0;
  let block0: Uint8Array | null = null;
  let head = new Uint8Array(0);
  const inFlight = new Set<Promise<unknown>>();

  const emit = async (bytes: Uint8Array) => {
    if (index === 0) block0 = bytes;
    else {
      const p: Promise<unknown> = rpc.call('putBlock', prefix, index, bytes).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
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
    if (pendingBytes > 0) await emit(take(pendingBytes));
    await Promise.all(inFlight);
    await rpc.call('deserializeEnd', prefix, size, block0!);
  } catch (err) {
    await Promise.allSettled(inFlight);
    await rpc.call('deserializeAbort', prefix, 1).catch(() => undefined);
    throw err;
  } finally {
    pending = [];
  }
}
