// The disk cache's own rules, on a temporary directory: atomic entries, length checks,
// least-recently-used eviction, stale temporary files.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DiskCache, DISK_CHUNK, trailerBytes } = require('../../dist/store/disk-cache');
const { Counters } = require('../../dist/stats');
const { crc32 } = require('node:zlib');

const dirs = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function cache(maxBytes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'disk-cache-'));
  dirs.push(dir);
  return new DiskCache(dir, maxBytes, 'http://s3.example|bucket', new Counters());
}

test('an entry comes back only at the length asked for; a wrong length is deleted', async () => {
  const c = cache(1 << 20);
  c.put('db/v/a', new Uint8Array([1, 2, 3]));
  await c.flush();
  const got = await c.get('db/v/a', 3);
  expect([...got.bytes]).toEqual([1, 2, 3]);
  expect(got.crc32).toBe(crc32(new Uint8Array([1, 2, 3]))); // callers check it against records of their own
  expect(await c.get('db/v/a', 4)).toBeUndefined();
  expect(fs.existsSync(c.pathOf('db/v/a'))).toBe(false);
  expect(await c.get('db/v/none', 1)).toBeUndefined();
});

test('an entry whose bytes changed on disk (same length) fails its own checksum and is deleted', async () => {
  const c = cache(1 << 20);
  c.put('db/v/b', new Uint8Array([5, 6, 7, 8]));
  await c.flush();
  const file = c.pathOf('db/v/b');
  expect(fs.statSync(file).size).toBe(4 + 12); // the data, then its chunk's CRC32, the data's, the trailer's
  const bytes = fs.readFileSync(file);
  bytes[1] ^= 1;
  fs.writeFileSync(file, bytes);
  expect(await c.get('db/v/b', 4)).toBeUndefined();
  expect(fs.existsSync(file)).toBe(false);
});

test('an entry put with a CRC32 that is not its own is refused when read (the trailer is checked)', async () => {
  const c = cache(1 << 20);
  const bytes = new Uint8Array([9, 9, 9]);
  c.put('db/v/d', bytes, crc32(bytes) ^ 1);
  await c.flush();
  expect(fs.statSync(c.pathOf('db/v/d')).size).toBe(3 + trailerBytes(3));
  expect(await c.get('db/v/d', 3)).toBeUndefined();
  c.put('db/v/e', bytes, crc32(bytes));
  await c.flush();
  expect([...(await c.get('db/v/e', 3)).bytes]).toEqual([9, 9, 9]);
});

test('the trailer holds each chunk\'s CRC32, the data\'s, then its own; a damaged trailer is refused', async () => {
  const c = cache(1 << 20);
  const data = Uint8Array.from({ length: 2 * DISK_CHUNK + 1808 }, (_, i) => (i * 7) % 251);
  c.put('db/v/ok', data);
  c.put('db/v/table', data);
  await c.flush();
  const file = fs.readFileSync(c.pathOf('db/v/ok'));
  expect(trailerBytes(data.length)).toBe(3 * 4 + 8);
  expect(file.length).toBe(data.length + 20);
  expect(Buffer.compare(file.subarray(0, data.length), Buffer.from(data))).toBe(0);
  const sums = [0, 1, 2].map((i) => file.readUInt32LE(data.length + 4 * i));
  expect(sums).toEqual([0, 1, 2].map((i) => crc32(data.subarray(i * DISK_CHUNK, (i + 1) * DISK_CHUNK))));
  expect(file.readUInt32LE(data.length + 12)).toBe(crc32(data));
  expect(file.readUInt32LE(data.length + 16)).toBe(crc32(file.subarray(data.length, data.length + 16)));
  expect([...(await c.get('db/v/ok', data.length)).bytes]).toEqual([...data]);

  // A chunk's sum changed (the data and its whole CRC32 intact): the trailer's own CRC32 says so.
  const table = fs.readFileSync(c.pathOf('db/v/table'));
  table[data.length + 5] ^= 2;
  fs.writeFileSync(c.pathOf('db/v/table'), table);
  expect(await c.get('db/v/table', data.length)).toBeUndefined();
  expect(fs.existsSync(c.pathOf('db/v/table'))).toBe(false);
});

test('a cache whose directory has gone misses instead of recreating it', async () => {
  const c = cache(1 << 20);
  fs.rmSync(c.dir, { recursive: true });
  c.put('db/v/c', new Uint8Array([1]));
  await c.flush();
  expect(fs.existsSync(c.dir)).toBe(false);
  expect(await c.get('db/v/c', 1)).toBeUndefined();
});

test('the same key in another bucket is another entry', () => {
  const a = new DiskCache('/x', 1, 'ep|one', new Counters());
  const b = new DiskCache('/x', 1, 'ep|two', new Counters());
  expect(a.pathOf('k')).not.toBe(b.pathOf('k'));
});

test('eviction deletes the least recently used entries first, down to 90% of the limit', async () => {
  const c = cache(10_000);
  for (const k of ['old', 'mid', 'new']) c.put(k, new Uint8Array(4000));
  await c.flush(); // 12 000 bytes: over the limit, evicted at flush
  const left = ['old', 'mid', 'new'].filter((k) => fs.existsSync(c.pathOf(k)));
  expect(left.length).toBe(2);
  // Now make the order explicit: 'new' used long ago, the other recently.
  const [first, second] = left;
  const past = new Date(Date.now() - 3_600_000);
  fs.utimesSync(c.pathOf(first), past, past);
  c.put('another', new Uint8Array(4000));
  await c.flush();
  expect(fs.existsSync(c.pathOf(first))).toBe(false);
  expect(fs.existsSync(c.pathOf(second))).toBe(true);
  expect(fs.existsSync(c.pathOf('another'))).toBe(true);
});

test('a hit makes its entry recently used', async () => {
  const c = cache(1 << 20);
  c.put('k', new Uint8Array(10));
  await c.flush();
  const past = new Date(Date.now() - 3_600_000);
  fs.utimesSync(c.pathOf('k'), past, past);
  await c.get('k', 10);
  await new Promise((r) => setTimeout(r, 50));
  expect(fs.statSync(c.pathOf('k')).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
});

test('a temporary file a killed writer left is deleted once stale; a fresh one is left alone', async () => {
  const c = cache(1);
  c.put('k', new Uint8Array(1));
  await c.flush();
  const sub = path.dirname(c.pathOf('k'));
  const stale = path.join(sub, 'x.block.123.abcd.tmp');
  const fresh = path.join(sub, 'y.block.123.abcd.tmp');
  fs.writeFileSync(stale, 'x');
  fs.writeFileSync(fresh, 'y');
  const past = new Date(Date.now() - 3_600_000);
  fs.utimesSync(stale, past, past);
  await c.evict();
  expect(fs.existsSync(stale)).toBe(false);
  expect(fs.existsSync(fresh)).toBe(true);
});

test('a cache directory others may read is not used, with a warning; a private one is', async () => {
  const { diskCacheLimit } = require('../../dist/store/disk-cache');
  const open = fs.mkdtempSync(path.join(os.tmpdir(), 'disk-cache-open-'));
  dirs.push(open);
  fs.chmodSync(open, 0o755);
  const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  try {
    expect(diskCacheLimit(open, 1 << 20)).toBe(0);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(new RegExp(`${open}.*only this user`));
    const fresh = path.join(open, 'made-here');
    expect(diskCacheLimit(fresh, 1 << 20)).toBe(1 << 20);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(fs.statSync(fresh).mode & 0o777).toBe(0o700);
  } finally {
    warn.mockRestore();
  }
});
