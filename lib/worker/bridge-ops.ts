// What each bridge op does to the file table (the requests decoded by bridge-codec.ts).
import type { BridgeLayout } from '../../binding';
import * as C from '../sqlite-codes';
import type { FileTable } from '../store/file-table';
import { decodeRequest, encodeFiles, encodePiece, int64s } from './bridge-codec';
import type { Reply, Request } from './bridge-server';

const encoder = new TextEncoder();

export function bridgeOps(L: BridgeLayout, files: FileTable, capacity: () => number) {
  // One at a time with the worker's other work on the files (a serialize's flush): see
  // FileTable.exclusive.
  const serve = (req: Request): Promise<Reply> => files.exclusive(() => serveRequest(req));
  const serveRequest = async (req: Request): Promise<Reply> => {
    const r = decodeRequest(L, req);
    switch (r.op) {
      case 'open': {
        const { id, size, blockSize, inMemory } = await files.open(r.name, r.flags);
        return { result: id, result2: blockSize, result3: inMemory ? 1 : 0, f64: size };
      }
      case 'close':
        return { result: (await files.close(r.file)) ? 1 : 0 };
      case 'read':
        return { data: await files.handle(r.file).read(r.offset, r.amount) };
      case 'write':
        // The payload lives in the shared buffer; copy before the next request reuses it.
        await files.write(r.file, r.offset, r.bytes.slice());
        return {};
      case 'writeBlocks': {
        const missing = await files.applyWrites(r.file, r.newSize, r.writes);
        return { result: missing.length, data: int64s(missing) };
      }
      case 'writePages':
        await files.writePages(r.file, r.writes);
        return {};
      case 'truncate':
        await files.truncate(r.file, r.size);
        return {};
      case 'sync':
        await files.sync(r.file);
        return {};
      case 'endWrite':
        return { result: (await files.endWrite(r.file)) ? 1 : 0 };
      case 'phaseTwo':
        return { result: (await files.phaseTwo(r.file)) ? 1 : 0 };
      case 'pragma': {
        const refusal = files.refusal(r.file, r.name, r.value);
        return refusal ? { data: encoder.encode(refusal) } : {};
      }
      case 'fileSize':
        return { f64: files.handle(r.file).size };
      case 'access':
        // Like the seed: only existence is a question; files in the bucket are readable and writable.
        return { result: r.flags !== 0 || (await files.access(r.name)) ? 1 : 0 };
      case 'delete':
        await files.delete(r.name);
        return {};
      case 'beginRead': {
        const { changed, freshForMs } = await files.beginRead(r.file);
        const f = files.handle(r.file);
        return { result: changed ? 1 : 0, result2: freshForMs, result3: f.B, f64: f.size };
      }
      case 'beginWrite':
        await files.beginWrite(r.file);
        return {};
      case 'readBlocks': {
        const f = files.handle(r.file);
        const got = await f.readBlocks(r.first, r.needed, capacity(), r.want);
        if ('piece' in got) return { data: encodePiece(got.start, got.piece), result: L.READ_BLOCKS_PIECE, f64: f.size };
        if ('files' in got) return { data: [encodeFiles(got.files, capacity(), L)], result: L.READ_BLOCKS_FILE, f64: f.size };
        return { data: got.data, result: got.count, f64: f.size };
      }
    }
  };

  /**
   * The SQLite status a failed op reports. Only the start of a transaction may say
   * SQLITE_BUSY (a lease held elsewhere): SQLite retries on BUSY, and a commit retried after
   * its writes were dropped would "succeed" with nothing in it; every later failure is an
   * I/O error, after which SQLite rolls back.
   */
  const failureStatus = (op: number, err: unknown): number => {
    const own = (err as { sqliteStatus?: number })?.sqliteStatus;
    if (own !== undefined && (op === L.OP_BEGIN_WRITE || op === L.OP_BEGIN_READ)) return own;
    switch (op) {
      case L.OP_OPEN: return C.SQLITE_CANTOPEN;
      case L.OP_CLOSE: return C.SQLITE_IOERR_CLOSE;
      case L.OP_READ:
      case L.OP_READ_BLOCKS: return C.SQLITE_IOERR_READ;
      case L.OP_WRITE:
      case L.OP_WRITE_PAGES:
      case L.OP_WRITE_BLOCKS: return C.SQLITE_IOERR_WRITE;
      case L.OP_TRUNCATE: return C.SQLITE_IOERR_TRUNCATE;
      case L.OP_SYNC:
      case L.OP_PHASE_TWO: return C.SQLITE_IOERR_FSYNC;
      case L.OP_END_WRITE: return C.SQLITE_IOERR_UNLOCK;
      case L.OP_FILE_SIZE: return C.SQLITE_IOERR_FSTAT;
      case L.OP_ACCESS: return C.SQLITE_IOERR_ACCESS;
      case L.OP_DELETE: return C.SQLITE_IOERR_DELETE;
      case L.OP_BEGIN_READ:
      case L.OP_BEGIN_WRITE: return C.SQLITE_IOERR_LOCK;
      default: return C.SQLITE_IOERR;
    }
  };
  return { serve, failureStatus };
}
