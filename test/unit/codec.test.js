// The bridge's codec: the layout C++ exports is the one binding.d.ts declares, and the
// worker parses the records the main thread builds (field offsets from that one layout).
const fs = require('node:fs');
const path = require('node:path');
const { binding } = require('../../dist/native');
const { parseWrites, parseWant, decodeRequest, encodeFiles } = require('../../dist/worker/bridge-codec');
const { DISK_CHUNK } = require('../../dist/store/disk-cache');

const L = binding().layout;

test('binding.layout has exactly the entries BridgeLayout in binding.d.ts declares', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', '..', 'binding.d.ts'), 'utf8');
  const body = /export interface BridgeLayout \{([\s\S]*?)\n\}/.exec(dts)[1];
  const declared = [...body.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/(\w+): number;/g)].map((m) => m[1]).sort();
  expect(Object.keys(L).sort()).toEqual(declared);
  expect(Object.values(L).every(Number.isInteger)).toBe(true);
});

test('the layout is consistent: slots in the header, ops distinct, records end where their headers say', () => {
  const int32Slots = ['STATE', 'SEQ', 'REPLY_SEQ', 'OP', 'FILE_ID', 'ARG', 'LEN', 'STATUS', 'REPLY_LEN', 'ERROR_LEN', 'HEARTBEAT', 'WORKER_DEAD', 'RESULT', 'DEATH_NOTE_LEN', 'RESULT2', 'RESULT3', 'NEWS'];
  expect(new Set(int32Slots.map((k) => L[k])).size).toBe(int32Slots.length);
  expect(Math.max(...int32Slots.map((k) => L[k]))).toBe(L.INT32_SLOTS - 1);
  expect(L.F64_OFFSET * 8).toBeGreaterThanOrEqual(L.INT32_SLOTS * 4);
  expect((L.F64_RESULT + 1) * 8).toBeLessThanOrEqual(L.HEADER_BYTES);
  expect(L.DATA_OFFSET).toBe(L.HEADER_BYTES + L.DEATH_NOTE_BYTES);
  const ops = Object.keys(L).filter((k) => k.startsWith('OP_')).map((k) => L[k]);
  expect(new Set(ops).size).toBe(ops.length);
  expect(L.WRITE_RECORD_HEADER).toBe(L.WRITE_RECORD_LENGTH + 4);
  expect(L.READ_WANT_BYTES).toBe(L.READ_WANT_FLAGS + 4);
  expect(L.READ_FILE_HEADER).toBe(L.READ_FILE_PATH_LEN + 4);
  expect(L.DISK_CHUNK_BYTES).toBe(DISK_CHUNK); // the worker writes the chunks C++ checks
});

/** Records as C++ builds them (native/vfs.cc, SendWrites). */
function records(list) {
  const size = list.reduce((n, r) => n + L.WRITE_RECORD_HEADER + r.bytes.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const r of list) {
    view.setBigInt64(at + L.WRITE_RECORD_INDEX, BigInt(r.index), true);
    view.setInt32(at + L.WRITE_RECORD_OFFSET, r.offset, true);
    view.setInt32(at + L.WRITE_RECORD_LENGTH, r.bytes.length, true);
    out.set(r.bytes, at + L.WRITE_RECORD_HEADER);
    at += L.WRITE_RECORD_HEADER + r.bytes.length;
  }
  return out;
}

test('write records parse back to what was written, bytes as views', () => {
  const list = [
    { index: 0, offset: 0, bytes: Uint8Array.from([1, 2, 3]) },
    { index: 2 ** 40, offset: 4096, bytes: new Uint8Array(0) },
    { index: 7, offset: 100, bytes: Uint8Array.from({ length: 300 }, (_, i) => i & 255) },
  ];
  const payload = records(list);
  const parsed = parseWrites(payload, list.length, L);
  expect(parsed.map((w) => ({ index: w.index, offset: w.offset, bytes: [...w.bytes] }))).toEqual(list.map((r) => ({ ...r, bytes: [...r.bytes] })));
  expect(parsed[2].bytes.buffer).toBe(payload.buffer);
});

test('cut, overlong or negative records are refused by name', () => {
  const payload = records([{ index: 1, offset: 0, bytes: new Uint8Array(10) }]);
  expect(() => parseWrites(payload.subarray(0, payload.length - 1), 1, L)).toThrow(/record 0 of 1 is malformed/);
  expect(() => parseWrites(payload, 2, L)).toThrow(/record 1 of 2 is cut short/);
  expect(() => parseWrites(payload, 0, L)).toThrow(/bytes left after 0 records/);
  new DataView(payload.buffer).setInt32(L.WRITE_RECORD_LENGTH, -1, true);
  expect(() => parseWrites(payload, 1, L)).toThrow(/malformed/);
});

test('a read-want record gives the offset, amount, whether the main cache is full and whether a file will do; any other payload is none', () => {
  const want = new Uint8Array(L.READ_WANT_BYTES);
  const view = new DataView(want.buffer);
  view.setBigInt64(L.READ_WANT_OFFSET, 5_000_000_000n, true);
  view.setInt32(L.READ_WANT_AMOUNT, 4096, true);
  expect(parseWant(want, L)).toEqual({ offset: 5_000_000_000, amount: 4096, cacheFull: false, fileOk: false });
  view.setInt32(L.READ_WANT_FLAGS, L.READ_WANT_CACHE_FULL, true);
  expect(parseWant(want, L)).toEqual({ offset: 5_000_000_000, amount: 4096, cacheFull: true, fileOk: false });
  view.setInt32(L.READ_WANT_FLAGS, L.READ_WANT_FILE_OK, true);
  expect(parseWant(want, L)).toEqual({ offset: 5_000_000_000, amount: 4096, cacheFull: false, fileOk: true });
  expect(parseWant(new Uint8Array(0), L)).toBeUndefined();
  expect(parseWant(new Uint8Array(L.READ_WANT_BYTES + 1), L)).toBeUndefined();
});

const req = (op, fields = {}) => ({ op, fileId: 7, arg: 0, offset: 0, payload: new Uint8Array(0), ...fields });

test('every op of the layout decodes into its named fields; an unknown op is EPROTO', () => {
  const ops = Object.keys(L).filter((k) => k.startsWith('OP_'));
  const named = ops.map((k) => decodeRequest(L, req(L[k])).op);
  expect(new Set(named).size).toBe(ops.length);
  expect(() => decodeRequest(L, req(999))).toThrow(expect.objectContaining({ code: 'EPROTO' }));
});

test('fields as each op uses them', () => {
  const enc = (s) => new TextEncoder().encode(s);
  expect(decodeRequest(L, req(L.OP_OPEN, { payload: enc('db/x'), arg: 0x106 }))).toEqual({ op: 'open', name: 'db/x', flags: 0x106 });
  expect(decodeRequest(L, req(L.OP_READ, { offset: 4096, arg: 100 }))).toEqual({ op: 'read', file: 7, offset: 4096, amount: 100 });
  expect(decodeRequest(L, req(L.OP_TRUNCATE, { offset: 8192 }))).toEqual({ op: 'truncate', file: 7, size: 8192 });
  expect(decodeRequest(L, req(L.OP_PRAGMA, { payload: enc('journal_mode\0wal') }))).toEqual({ op: 'pragma', file: 7, name: 'journal_mode', value: 'wal' });
  expect(decodeRequest(L, req(L.OP_PRAGMA, { payload: enc('journal_mode') }))).toMatchObject({ value: '' });
  expect(decodeRequest(L, req(L.OP_READ_BLOCKS, { offset: 3, arg: 2 }))).toEqual({ op: 'readBlocks', file: 7, first: 3, needed: 2, want: undefined });
  const w = decodeRequest(L, req(L.OP_WRITE_BLOCKS, { offset: 5000, arg: 1, payload: records([{ index: 0, offset: 10, bytes: Uint8Array.from([9]) }]) }));
  if (w.op !== 'writeBlocks') throw new Error(`decoded as ${w.op}`);
  expect(w.newSize).toBe(5000);
  expect(w.writes.map((x) => [x.index, x.offset, [...x.bytes]])).toEqual([[0, 10, [9]]]);
  const pages = decodeRequest(L, req(L.OP_WRITE_PAGES, { arg: 2, payload: records([{ index: 3, offset: 4096, bytes: Uint8Array.from([1, 2]) }, { index: 9, offset: 0, bytes: Uint8Array.from([7]) }]) }));
  if (pages.op !== 'writePages') throw new Error(`decoded as ${pages.op}`);
  expect(pages.writes.map((x) => [x.index, x.offset, [...x.bytes]])).toEqual([[3, 4096, [1, 2]], [9, 0, [7]]]);
  expect(() => decodeRequest(L, req(L.OP_WRITE_PAGES, { arg: 3, payload: records([{ index: 3, offset: 0, bytes: Uint8Array.from([1]) }]) }))).toThrow(/OP_WRITE_PAGES: record 1 of 3 is cut short/);
});

test('a failed write of every kind reaches SQLite as SQLITE_IOERR_WRITE', () => {
  const { bridgeOps } = require('../../dist/worker/bridge-ops');
  const C = require('../../dist/sqlite-codes');
  const { failureStatus } = bridgeOps(L, /** @type {any} */ ({}), () => 0); // no op is served
  for (const op of [L.OP_WRITE, L.OP_WRITE_BLOCKS, L.OP_WRITE_PAGES]) expect(failureStatus(op, new Error('disk full'))).toBe(C.SQLITE_IOERR_WRITE);
});

test('read-file records carry each block, its length, CRC32 and path where C++ reads them, as many as fit', () => {
  const files = [
    { index: 5_000_000_001, length: 1 << 20, path: '/tmp/c/ab/cdé.block2', crc32: 0xfedcba98 },
    { index: 7, length: 300, path: '/tmp/c/01/23.block2' }, // no CRC32 recorded
    { index: 8, length: 300, path: '/tmp/c/01/45.block2' },
  ];
  const out = encodeFiles(files, 1 << 20, L);
  const view = new DataView(out.buffer);
  const read = [];
  for (let at = 0; at < out.length; ) {
    const pathLen = view.getInt32(at + L.READ_FILE_PATH_LEN, true);
    read.push({
      index: view.getBigInt64(at + L.READ_FILE_INDEX, true),
      length: view.getBigInt64(at + L.READ_FILE_LENGTH, true),
      crc: view.getUint32(at + L.READ_FILE_CRC, true),
      flags: view.getInt32(at + L.READ_FILE_FLAGS, true),
      path: Buffer.from(out.subarray(at + L.READ_FILE_HEADER, at + L.READ_FILE_HEADER + pathLen)).toString('utf8'),
    });
    at += L.READ_FILE_HEADER + pathLen;
  }
  expect(read).toEqual([
    { index: 5_000_000_001n, length: BigInt(1 << 20), crc: 0xfedcba98, flags: L.READ_FILE_CRC_KNOWN, path: files[0].path },
    { index: 7n, length: 300n, crc: 0, flags: 0, path: files[1].path },
    { index: 8n, length: 300n, crc: 0, flags: 0, path: files[2].path },
  ]);
  // Only what fits: the first always (the block asked for), then whole records.
  const one = encodeFiles(files, 10, L);
  expect(one.length).toBe(L.READ_FILE_HEADER + Buffer.byteLength(files[0].path));
  const two = encodeFiles(files, one.length + L.READ_FILE_HEADER + 19, L);
  expect(two.length).toBe(one.length + L.READ_FILE_HEADER + 19);
});

test("the main thread's CRC32 is node:zlib's, by which the worker writes the chunk sums, at every length and alignment (its fast way and its table)", () => {
  const { crc32 } = require('node:zlib');
  const bytes = Uint8Array.from({ length: 9000 }, (_, i) => (i * 2654435761) >>> 24);
  const mismatches = [];
  for (let len = 0; len <= 4200; len += len < 200 ? 1 : 61) {
    for (const at of [0, 1, 7, 15, 33]) {
      const part = bytes.subarray(at, at + len);
      if (binding().crc32(part) !== crc32(part)) mismatches.push({ len, at });
      if (binding().crc32(part, true) !== crc32(part)) mismatches.push({ len, at, table: true });
    }
  }
  expect(mismatches).toEqual([]);
  expect(binding().crc32(bytes.subarray(0, 4096))).toBe(crc32(bytes.subarray(0, 4096)));
});
