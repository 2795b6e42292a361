// What each bridge op does to the file table.
import type { BridgeLayout } from '../../binding';
import * as C from '../sqlite-codes';
import type { BlockWrite } from '../store/cached-file';
import type { FileTable } from '../store/file-table';
import type { Reply, Request } from './bridge-server';
import { S3VFSError } from '../errors';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * OP_WRITE_BLOCKS' WRITE_RECORDs (native/bridge_layout.h): block index, offset in the
 * block, length, bytes. The bytes stay views into the shared buffer (valid until the
 * reply): they are copied once, into the blocks they change.
 */
export function parseWrites(payload: Uint8Array, count: number, L: BridgeLayout): BlockWrite[] {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const headerBytes = L.WRITE_RECORD_HEADER;
  const out: BlockWrite[] = [];
  let at = 0;
  for (let n = 0; n < count; n++) {
    if (at + headerBytes > payload.length) throw new S3VFSError(`OP_WRITE_BLOCKS: record ${n} of ${count} is cut short`, 'EPROTO');
    const index = Number(view.getBigInt64(at + L.WRITE_RECORD_INDEX, true));
    const offset = view.getInt32(at + L.WRITE_RECORD_OFFSET, true);
    const len = view.getInt32(at + L.WRITE_RECORD_LENGTH, true);
    if (len < 0 || offset < 0 || at + headerBytes + len > payload.length) throw new S3VFSError(`OP_WRITE_BLOCKS: record ${n} of ${count} is malformed`, 'EPROTO');
    out.push({ index, offset, bytes: payload.subarray(at + headerBytes, at + headerBytes + len) });
    at += headerBytes + len;
  }
  if (at !== payload.length) throw new S3VFSError(`OP_WRITE_BLOCKS: ${payload.length - at} bytes left after ${count} records`, 'EPROTO');
  return out;
}

/** Block indexes as int64 little-endian, for the main thread. */
function int64s(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return out;
}

/** OP_READ_BLOCKS' optional READ_WANT payload: the offset and amount a read wants. */
export function parseWant(payload: Uint8Array, L: BridgeLayout): { offset: number; amount: number } | undefined {
  if (payload.length !== L.READ_WANT_BYTES) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return { offset: Number(view.getBigInt64(L.READ_WANT_OFFSET, true)), amount: view.getInt32(L.READ_WANT_AMOUNT, true) };
}

export function bridgeOps(L: BridgeLayout, files: FileTable, capacity: () => number) {
  const serve = async (req: Request): Promise<Reply> => {
    switch (req.op) {
      case L.OP_OPEN: {
        const { id, size, blockSize, inMemory } = await files.open(decoder.decode(req.payload), req.arg);
        return { result: id, result2: blockSize, result3: inMemory ? 1 : 0, f64: size };
      }
      case L.OP_CLOSE:
        return { result: (await files.close(req.fileId)) ? 1 : 0 };
      case L.OP_READ: {
        const data = await files.handle(req.fileId).read(req.offset, req.arg);
        return { data };
      }
      case L.OP_WRITE:
        // The payload lives in the shared buffer; copy before the next request reuses it.
        await files.write(req.fileId, req.offset, req.payload.slice());
        return {};
      case L.OP_WRITE_BLOCKS: {
        const missing = await files.applyWrites(req.fileId, req.offset, parseWrites(req.payload, req.arg, L));
        return { result: missing.length, data: int64s(missing) };
      }
      case L.OP_TRUNCATE:
        await files.truncate(req.fileId, req.offset);
        return {};
      case L.OP_SYNC:
        await files.sync(req.fileId);
        return {};
      case L.OP_END_WRITE:
        return { result: (await files.endWrite(req.fileId)) ? 1 : 0 };
      case L.OP_PHASE_TWO:
        return { result: (await files.phaseTwo(req.fileId)) ? 1 : 0 };
      case L.OP_PRAGMA: {
        const [name, value] = decoder.decode(req.payload).split('\0');
        const refusal = files.refusal(req.fileId, name, value ?? '');
        return refusal ? { data: encoder.encode(refusal) } : {};
      }
      case L.OP_FILE_SIZE:
        return { f64: files.handle(req.fileId).size };
      case L.OP_ACCESS: {
        const name = decoder.decode(req.payload);
        // Like the seed: only existence is a question; files in the bucket are readable and writable.
        const yes = req.arg !== 0 || (await files.access(name));
        return { result: yes ? 1 : 0 };
      }
      case L.OP_DELETE:
        await files.delete(decoder.decode(req.payload));
        return {};
      case L.OP_BEGIN_READ: {
        const changed = await files.beginRead(req.fileId);
        return { result: changed ? 1 : 0, f64: files.handle(req.fileId).size };
      }
      case L.OP_BEGIN_WRITE:
        await files.beginWrite(req.fileId);
        return {};
      case L.OP_READ_BLOCKS: {
        const f = files.handle(req.fileId);
        const got = await f.readBlocks(req.offset, req.arg, capacity(), parseWant(req.payload, L));
        if ('piece' in got) {
          const data = new Uint8Array(8 + got.piece.length);
          new DataView(data.buffer).setBigInt64(0, BigInt(got.start), true);
          data.set(got.piece, 8);
          return { data, result: L.READ_BLOCKS_PIECE, f64: f.size };
        }
        return { data: got.data, result: got.count, f64: f.size };
      }
      default:
        throw new S3VFSError(`unknown bridge op ${req.op}`, 'EPROTO');
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
