// The worker's side of the bridge's codec: each request decoded into the named fields of
// its op, and the records some ops carry. The slots and record layouts are those of
// native/bridge_layout.h (binding.layout); C++ encodes what this decodes (native/vfs.cc).
import type { BridgeLayout } from '../../binding';
import { S3VFSError } from '../errors';
import type { BlockWrite, DiskEntry, ReadWant } from '../store/cached-file';
import type { Request } from './bridge-server';

const encoder = new TextEncoder();

/**
 * OP_WRITE_BLOCKS' WRITE_RECORDs (native/bridge_layout.h): block index, offset in the
 * block, length, bytes. The bytes stay views into the shared buffer (valid until the
 * reply): they are copied once, into the blocks they change.
 */
export function parseWrites(payload: Uint8Array, count: number, L: BridgeLayout, op = 'OP_WRITE_BLOCKS'): BlockWrite[] {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const headerBytes = L.WRITE_RECORD_HEADER;
  const out: BlockWrite[] = [];
  let at = 0;
  for (let n = 0; n < count; n++) {
    if (at + headerBytes > payload.length) throw new S3VFSError(`${op}: record ${n} of ${count} is cut short`, 'EPROTO');
    const index = Number(view.getBigInt64(at + L.WRITE_RECORD_INDEX, true));
    const offset = view.getInt32(at + L.WRITE_RECORD_OFFSET, true);
    const len = view.getInt32(at + L.WRITE_RECORD_LENGTH, true);
    if (len < 0 || offset < 0 || at + headerBytes + len > payload.length) throw new S3VFSError(`${op}: record ${n} of ${count} is malformed`, 'EPROTO');
    out.push({ index, offset, bytes: payload.subarray(at + headerBytes, at + headerBytes + len) });
    at += headerBytes + len;
  }
  if (at !== payload.length) throw new S3VFSError(`${op}: ${payload.length - at} bytes left after ${count} records`, 'EPROTO');
  return out;
}

/** Block indexes as int64 little-endian, for the main thread. */
export function int64s(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return out;
}

/** OP_READ_BLOCKS' optional READ_WANT payload: the offset and amount a read wants. */
export function parseWant(payload: Uint8Array, L: BridgeLayout): ReadWant | undefined {
  if (payload.length !== L.READ_WANT_BYTES) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    offset: Number(view.getBigInt64(L.READ_WANT_OFFSET, true)),
    amount: view.getInt32(L.READ_WANT_AMOUNT, true),
    cacheFull: (view.getInt32(L.READ_WANT_FLAGS, true) & L.READ_WANT_CACHE_FULL) !== 0,
    fileOk: (view.getInt32(L.READ_WANT_FLAGS, true) & L.READ_WANT_FILE_OK) !== 0,
  };
}

/** A READ_BLOCKS_FILE reply's payload: a READ_FILE record per entry, in order, as many as
 *  fit in `maxBytes` (the first always: it is the block asked for). */
export function encodeFiles(files: DiskEntry[], maxBytes: number, L: BridgeLayout): Uint8Array {
  const records: Uint8Array[] = [];
  let total = 0;
  for (const f of files) {
    const path = encoder.encode(f.path);
    const out = new Uint8Array(L.READ_FILE_HEADER + path.length);
    if (records.length > 0 && total + out.length > maxBytes) break;
    const view = new DataView(out.buffer);
    view.setBigInt64(L.READ_FILE_INDEX, BigInt(f.index), true);
    view.setBigInt64(L.READ_FILE_LENGTH, BigInt(f.length), true);
    view.setUint32(L.READ_FILE_CRC, f.crc32 ?? 0, true);
    view.setInt32(L.READ_FILE_FLAGS, f.crc32 === undefined ? 0 : L.READ_FILE_CRC_KNOWN, true);
    view.setInt32(L.READ_FILE_PATH_LEN, path.length, true);
    out.set(path, L.READ_FILE_HEADER);
    records.push(out);
    total += out.length;
  }
  const joined = new Uint8Array(total);
  let at = 0;
  for (const r of records) {
    joined.set(r, at);
    at += r.length;
  }
  return joined;
}

/** A READ_BLOCKS_PIECE reply's payload: int64 start, then the bytes from there (the piece
 *  itself, not a copy). */
export function encodePiece(start: number, piece: Uint8Array): Uint8Array[] {
  const head = new Uint8Array(8);
  new DataView(head.buffer).setBigInt64(0, BigInt(start), true);
  return [head, piece];
}

/** A request, by op, with its fields named. `file` is the worker's handle. */
export type OpRequest =
  | { op: 'open'; name: string; flags: number }
  | { op: 'close'; file: number }
  | { op: 'read'; file: number; offset: number; amount: number }
  | { op: 'write'; file: number; offset: number; bytes: Uint8Array }
  | { op: 'writeBlocks'; file: number; newSize: number; writes: BlockWrite[] }
  | { op: 'writePages'; file: number; writes: BlockWrite[] }
  | { op: 'truncate'; file: number; size: number }
  | { op: 'sync' | 'endWrite' | 'phaseTwo' | 'beginRead' | 'beginWrite' | 'fileSize'; file: number }
  | { op: 'pragma'; file: number; name: string; value: string }
  | { op: 'access'; name: string; flags: number }
  | { op: 'delete'; name: string }
  | { op: 'readBlocks'; file: number; first: number; needed: number; want: ReadWant | undefined };

const text = new TextDecoder();

/** Names the fields of `req` as its op uses them. Byte payloads stay views into the shared buffer. */
export function decodeRequest(L: BridgeLayout, req: Request): OpRequest {
  const file = req.fileId;
  switch (req.op) {
    case L.OP_OPEN: return { op: 'open', name: text.decode(req.payload), flags: req.arg };
    case L.OP_CLOSE: return { op: 'close', file };
    case L.OP_READ: return { op: 'read', file, offset: req.offset, amount: req.arg };
    case L.OP_WRITE: return { op: 'write', file, offset: req.offset, bytes: req.payload };
    case L.OP_WRITE_BLOCKS: return { op: 'writeBlocks', file, newSize: req.offset, writes: parseWrites(req.payload, req.arg, L) };
    case L.OP_WRITE_PAGES: return { op: 'writePages', file, writes: parseWrites(req.payload, req.arg, L, 'OP_WRITE_PAGES') };
    case L.OP_TRUNCATE: return { op: 'truncate', file, size: req.offset };
    case L.OP_SYNC: return { op: 'sync', file };
    case L.OP_END_WRITE: return { op: 'endWrite', file };
    case L.OP_PHASE_TWO: return { op: 'phaseTwo', file };
    case L.OP_BEGIN_READ: return { op: 'beginRead', file };
    case L.OP_BEGIN_WRITE: return { op: 'beginWrite', file };
    case L.OP_FILE_SIZE: return { op: 'fileSize', file };
    case L.OP_PRAGMA: {
      const [name, value] = text.decode(req.payload).split('\0');
      return { op: 'pragma', file, name, value: value ?? '' };
    }
    case L.OP_ACCESS: return { op: 'access', name: text.decode(req.payload), flags: req.arg };
    case L.OP_DELETE: return { op: 'delete', name: text.decode(req.payload) };
    case L.OP_READ_BLOCKS: return { op: 'readBlocks', file, first: req.offset, needed: req.arg, want: parseWant(req.payload, L) };
    default: throw new S3VFSError(`unknown bridge op ${req.op}`, 'EPROTO');
  }
}
