// The spill file's own rules, on a temporary directory: blocks and in-place changes read
// back as a model in memory says, whatever is still pending and whatever went to disk; no
// file is left behind; a directory it cannot use gives ESPILL naming it.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SpillFile } = require('../../dist/store/spill-file');

const dirs = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spill-'));
  dirs.push(dir);
  return dir;
}

/** A deterministic generator, so that a failure is the same every run. */
function random(seed) {
  let x = seed;
  return (n) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
}

const BLOCK = 64 * 1024;

test('random whole writes, in-place changes that grow blocks, reads of blocks and ranges match a model', async () => {
  const dir = tempDir();
  const spill = new SpillFile(BLOCK, dir);
  const model = new Map();
  const r = random(7);
  for (let step = 0; step < 3000; step++) {
    const index = r(12);
    const have = model.get(index);
    if (!have || r(40) === 0) {
      const bytes = new Uint8Array(1 + r(BLOCK));
      for (let k = 0; k < bytes.length; k += 97) bytes[k] = r(256);
      expect(await spill.write(index, bytes, () => true)).toBe(true);
      model.set(index, bytes.slice());
    } else if (r(10) < 7) {
      // A page-sized change, sometimes past the block's end (it grows, zero-filled).
      const offset = r(BLOCK - 4096);
      const bytes = new Uint8Array(1 + r(4096)).fill(1 + r(255));
      const length = Math.max(have.length, offset + bytes.length);
      await spill.patch(index, offset, bytes, length);
      const next = new Uint8Array(length);
      next.set(have);
      next.set(bytes, offset);
      model.set(index, next);
    } else if (r(2) === 0) {
      expect(Buffer.from(await spill.read(index)).equals(Buffer.from(have))).toBe(true);
    } else {
      const start = r(have.length);
      const end = start + r(have.length - start + 1);
      expect(Buffer.from(await spill.readRange(index, start, end)).equals(Buffer.from(have.subarray(start, end)))).toBe(true);
    }
    if (step % 500 === 0) await spill.flush();
  }
  for (const [index, bytes] of model) expect(Buffer.from(await spill.read(index)).equals(Buffer.from(bytes))).toBe(true);
  // The file was deleted from the directory as soon as it was opened.
  expect(fs.readdirSync(dir)).toEqual([]);
  spill.clear();
});

test('pages written side by side, in order and out of it, again and over each other, land as written', async () => {
  const spill = new SpillFile(BLOCK, tempDir());
  const PAGE = 1024;
  const model = new Uint8Array(BLOCK);
  await spill.write(0, model, () => true);
  const page = (k, v) => new Uint8Array(PAGE).fill(v);
  // Adjacent pages (one run written at once by flush), some twice, then a change straddling two.
  const order = [5, 6, 7, 3, 4, 8, 2, 6, 40, 41, 0, 1];
  order.forEach((k, n) => model.set(page(k, 1 + n), k * PAGE));
  for (const [n, k] of order.entries()) await spill.patch(0, k * PAGE, page(k, 1 + n), BLOCK);
  const straddle = new Uint8Array(PAGE).fill(200);
  model.set(straddle, 6 * PAGE + PAGE / 2);
  await spill.patch(0, 6 * PAGE + PAGE / 2, straddle, BLOCK);
  expect(Buffer.from(await spill.read(0)).equals(Buffer.from(model))).toBe(true); // pending, over the disk
  await spill.flush();
  expect(Buffer.from(await spill.read(0)).equals(Buffer.from(model))).toBe(true); // on disk
  spill.clear();
});

test('a block growing by a change reads as zeros between its old end and the change', async () => {
  const spill = new SpillFile(BLOCK, tempDir());
  await spill.write(3, new Uint8Array(100).fill(9), () => true);
  await spill.patch(3, 1000, new Uint8Array([1, 2]), 1002);
  const got = await spill.read(3);
  expect(got.length).toBe(1002);
  expect([...got.subarray(98, 102)]).toEqual([9, 9, 0, 0]);
  expect([...got.subarray(998, 1002)]).toEqual([0, 0, 1, 2]);
  await spill.flush();
  expect(Buffer.from(await spill.read(3)).equals(Buffer.from(got))).toBe(true);
  spill.clear();
});

test('a block written again while it went to disk does not count as spilled', async () => {
  const spill = new SpillFile(BLOCK, tempDir());
  expect(await spill.write(1, new Uint8Array(10), () => false)).toBe(false);
  expect(spill.has(1)).toBe(false);
  expect(spill.count).toBe(0);
});

test('delete and clear forget blocks and their pending changes', async () => {
  const spill = new SpillFile(BLOCK, tempDir());
  await spill.write(0, new Uint8Array(10).fill(1), () => true);
  await spill.write(1, new Uint8Array(10).fill(2), () => true);
  await spill.patch(1, 0, new Uint8Array([7]), 10);
  spill.delete(1);
  expect(spill.has(1)).toBe(false);
  await expect(spill.read(1)).rejects.toMatchObject({ code: 'EPROTO' });
  // Written anew, block 1 is what was written, not the change forgotten with it.
  await spill.write(1, new Uint8Array(10).fill(3), () => true);
  expect([...(await spill.read(1))]).toEqual(new Array(10).fill(3));
  spill.clear();
  expect(spill.count).toBe(0);
});

test('a missing directory is made; one that cannot be gives ESPILL, naming it', async () => {
  const missing = path.join(tempDir(), 'not-yet', 'made');
  const made = new SpillFile(BLOCK, missing);
  expect(await made.write(0, new Uint8Array(10), () => true)).toBe(true);
  expect(fs.statSync(missing).mode & 0o777).toBe(0o700);
  made.clear();
  const file = path.join(tempDir(), 'a-file');
  fs.writeFileSync(file, '');
  const under = path.join(file, 'spill');
  const spill = new SpillFile(BLOCK, under);
  await expect(spill.write(0, new Uint8Array(10), () => true)).rejects.toMatchObject({
    code: 'ESPILL',
    message: expect.stringContaining(under),
  });
});

test('a block longer than a slot is refused, never written over the next block', async () => {
  const spill = new SpillFile(4096, tempDir());
  await expect(spill.write(0, new Uint8Array(4097), () => true)).rejects.toMatchObject({ code: 'EPROTO' });
  await spill.write(0, new Uint8Array(10), () => true);
  await expect(spill.patch(0, 0, new Uint8Array(1), 4097)).rejects.toMatchObject({ code: 'EPROTO' });
  spill.clear();
});

test('a failed flush fails what follows until clear(), and not after it', async () => {
  const dir = tempDir();
  const spill = new SpillFile(BLOCK, dir);
  await spill.write(0, new Uint8Array(BLOCK), () => true);
  // The disk refuses writes for a while (a full disk, say). The spill file writes through
  // the callback API (lib/store/fd-io.ts).
  const write = fs.write;
  /** @type {any} */ (fs).write = (/** @type {any[]} */ ...args) =>
    process.nextTick(args[args.length - 1], Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
  try {
    await spill.patch(0, 0, new Uint8Array(100).fill(1), BLOCK);
    await expect(spill.flush()).rejects.toMatchObject({ code: 'ESPILL' });
    await expect(spill.read(0)).rejects.toMatchObject({ code: 'ESPILL' });
  } finally {
    fs.write = write;
  }
  // The transaction that held those changes is gone (its blocks forgotten): the next one works.
  spill.clear();
  await spill.write(1, new Uint8Array(10).fill(4), () => true);
  await spill.patch(1, 2, new Uint8Array([9]), 10);
  await spill.flush();
  expect([...(await spill.read(1))]).toEqual([4, 4, 9, 4, 4, 4, 4, 4, 4, 4]);
  spill.clear();
});
