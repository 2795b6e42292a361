// Page-granular commits in the versioned layout (lib/store/versioned/patches.ts; docs/FORMAT.md,
// "Patches"): what a small change uploads, what a reader rebuilds, and the limits that keep
// a block's patches few. On the in-memory store, through the worker's file table.
const { MemoryObjects } = require('../../dist/store/memory-objects');
const { ByteRanges } = require('../../dist/store/byte-ranges');
const { planPatch, applyPatches, MAX_PATCHES } = require('../../dist/store/versioned/patches');
const { parseManifest, encodeManifest, emptyManifest, listedKeys } = require('../../dist/store/versioned/manifest');
const { collectGarbage } = require('../../dist/store/versioned/gc');
const { DiskCache } = require('../../dist/store/disk-cache');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DB, versionedTable, transaction, coldRead: coldReadOf } = require('../support/file-tables');

const B = 256;

const table = (s3, disk) => versionedTable(s3, B, disk);
const coldRead = (s3, size) => coldReadOf(s3, B, size);

const manifestOf = async (s3) => parseManifest('db/manifest.json', (await s3.get('db/manifest.json')).body);
const fill = (n, v) => new Uint8Array(n).fill(v);
const patchObjects = (s3) => s3.keys().filter((k) => k.startsWith('db/v/patch.'));

/** A database of 4 full blocks, each byte its block's number + 1, committed. */
async function fourBlocks() {
  const s3 = new MemoryObjects();
  const files = table(s3);
  const { id } = await files.open('db', DB);
  const model = new Uint8Array(4 * B);
  await transaction(files, id, model, [0, 1, 2, 3].map((i) => [i * B, fill(B, i + 1)]));
  return { s3, files, id, model };
}

describe('ByteRanges', () => {
  test('merges what overlaps or touches, and counts the bytes it covers', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = new ByteRanges();
      const covered = new Set();
      let x = seed;
      for (let k = 0; k < 40; k++) {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        const start = x % 500;
        const end = start + (x >> 9) % 40;
        r.add(start, end);
        for (let b = start; b < end; b++) covered.add(b);
      }
      expect(r.total).toBe(covered.size);
      const ranges = r.ranges();
      for (let k = 1; k < ranges.length; k++) expect(ranges[k][0]).toBeGreaterThan(ranges[k - 1][1]);
      const listed = ranges.flatMap(([s, e]) => Array.from({ length: e - s }, (_, i) => s + i));
      expect(listed).toEqual([...covered].sort((a, b) => a - b));
    }
  });
});

describe('planPatch', () => {
  const ranges = (...pairs) => {
    const r = new ByteRanges();
    for (const [s, e] of pairs) r.add(s, e);
    return r;
  };
  const entry = { key: 'v/0000000000.1.aa' };

  test('a block goes up whole when new, changed untracked, shrunk or changed in more than a quarter', () => {
    expect(planPatch(undefined, B, ranges([0, 8]), B, B)).toBeUndefined();
    expect(planPatch(entry, B, null, B, B)).toBeUndefined();
    expect(planPatch(entry, B, ranges([0, 8]), B - 1, B)).toBeUndefined();
    expect(planPatch(entry, B, ranges([0, B / 4 + 1]), B, B)).toBeUndefined();
    expect(planPatch(entry, B, ranges([0, 8], [16, 24]), B, B)).toEqual({ runs: [0, 8, 16, 8], replaces: false });
  });

  test(`past ${MAX_PATCHES} patches, the next one holds all their runs and replaces them`, () => {
    const patches = Array.from({ length: MAX_PATCHES }, (_, j) => ({ key: `v/patch.${j}.aa`, off: 0, runs: [j * 10, 4] }));
    const plan = planPatch({ ...entry, patches }, B, ranges([2, 12]), B, B);
    expect(plan.replaces).toBe(true);
    // [0, 4) and [10, 14) meet [2, 12); [20, 24), [30, 34), ... stay apart.
    const rest = Array.from({ length: MAX_PATCHES - 2 }, (_, j) => [(j + 2) * 10, 4]).flat();
    expect(plan.runs).toEqual([0, 14, ...rest]);
  });

  test('applyPatches writes the runs in order over the base, zero-filled to the block', () => {
    const base = fill(4, 1);
    const out = applyPatches(base, 8, [{ key: 'v/p1', off: 0, runs: [2, 2] }, { key: 'v/p2', off: 0, runs: [3, 1, 6, 1] }], [fill(2, 7), Uint8Array.of(9, 5)]);
    expect([...out]).toEqual([1, 1, 7, 9, 0, 0, 5, 0]);
  });
});

describe('a versioned database with patches', () => {
  test('a small change uploads a patch object, not its block, and a new reader reads it', async () => {
    const { s3, files, id, model } = await fourBlocks();
    const blocksBefore = s3.keys().filter((k) => /\/v\/\d{10}\./.test(k)).length;
    await transaction(files, id, model, [[B + 10, fill(5, 42)], [3 * B + 200, fill(20, 43)]]);
    expect(s3.keys().filter((k) => /\/v\/\d{10}\./.test(k)).length).toBe(blocksBefore);
    expect(patchObjects(s3)).toHaveLength(1);
    expect((await s3.get(patchObjects(s3)[0])).body.length).toBe(25);
    const stored = JSON.parse(new TextDecoder().decode((await s3.get('db/manifest.json')).body));
    expect(stored.version).toBe(3);
    expect(stored.blocks[1].patches).toEqual([{ key: patchObjects(s3)[0].slice(3), off: 0, runs: [10, 5] }]);
    expect(stored.blocks[3].patches[0].off).toBe(5);
    expect(stored.blocks[0].patches).toBeUndefined();
    expect(await coldRead(s3, 4 * B)).toEqual(model);
    await files.close(id);
  });

  test('many small commits keep each block at most MAX_PATCHES patches, and every state reads back', async () => {
    const { s3, files, id, model } = await fourBlocks();
    for (let k = 0; k < 3 * MAX_PATCHES; k++) {
      // Small changes to one block: only MAX_PATCHES stops the patches piling up.
      await transaction(files, id, model, [[B + ((k * 37) % (B - 2)), fill(2, 100 + k)]]);
      for (const b of (await manifestOf(s3)).blocks) expect((b.patches ?? []).length).toBeLessThanOrEqual(MAX_PATCHES);
      expect(await coldRead(s3, 4 * B)).toEqual(model);
    }
    await files.close(id);
  });

  test('a block changed in more than a quarter goes up whole, dropping its patches', async () => {
    const { s3, files, id, model } = await fourBlocks();
    await transaction(files, id, model, [[2 * B, fill(4, 9)]]);
    expect((await manifestOf(s3)).blocks[2].patches).toHaveLength(1);
    await transaction(files, id, model, [[2 * B + 8, fill(B / 2, 8)]]);
    expect((await manifestOf(s3)).blocks[2].patches).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode((await s3.get('db/manifest.json')).body)).version).toBe(2);
    expect(await coldRead(s3, 4 * B)).toEqual(model);
    await files.close(id);
  });

  test('a growing last block is patched over its shorter base', async () => {
    const s3 = new MemoryObjects();
    const files = table(s3);
    const { id } = await files.open('db', DB);
    const model = new Uint8Array(B + 40);
    await transaction(files, id, model, [[0, fill(B + 20, 3)]]);
    await transaction(files, id, model, [[B + 20, fill(20, 4)]]);
    const m = await manifestOf(s3);
    expect(m.blocks[1].baseSize).toBe(20);
    expect(await coldRead(s3, B + 40)).toEqual(model);
    await files.close(id);
  });

  test.each([
    ['still waiting to go to disk (the writer keeps it), it is patched from there', 'queued', [], 1],
    ['on this machine\'s disk, it is read from there and patched', 'disk', [], 1],
    ['not on disk, the main thread is asked for it whole', 'none', [1], 0],
  ])('a page written to a block the worker no longer holds: %s', async (_what, where, missing, patches) => {
    const onDisk = where !== 'none';
    const s3 = new MemoryObjects();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patches-'));
    const disk = onDisk ? new DiskCache(dir, 1 << 20, 'ns', s3.counters) : undefined;
    const files = table(s3, disk);
    const { id } = await files.open('db', DB);
    const model = new Uint8Array(4 * B);
    await transaction(files, id, model, [0, 1, 2, 3].map((i) => [i * B, fill(B, i + 1)]));
    // The committed blocks wait in the writer until it closes the file (or has many).
    if (where === 'disk') await files.handle(id).lastClosed();
    await disk?.flush();
    expect(fs.readdirSync(dir).length > 0).toBe(where === 'disk');
    files.handle(id).evictClean();
    await files.beginWrite(id);
    const page = { index: 1, offset: 10, bytes: fill(5, 42) };
    expect(await files.applyWrites(id, 4 * B, [page])).toEqual(missing);
    model.set(page.bytes, B + 10);
    if (missing.length) await files.applyWrites(id, 4 * B, [{ index: 1, offset: 0, bytes: model.slice(B, 2 * B) }]);
    await files.sync(id);
    await files.endWrite(id);
    expect((await manifestOf(s3)).blocks[1].patches ?? []).toHaveLength(patches);
    expect(await coldRead(s3, 4 * B)).toEqual(model);
    await files.close(id);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a block patched while it waited in the spill file is kept (to go to disk) for the next page written to it', async () => {
    const s3 = new MemoryObjects();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patches-'));
    const disk = new DiskCache(dir, 1 << 20, 'ns', s3.counters);
    const files = table(s3, disk);
    const { id } = await files.open('db', DB);
    const model = new Uint8Array(4 * B);
    await transaction(files, id, model, [0, 1, 2, 3].map((i) => [i * B, fill(B, i + 1)]));
    await files.beginWrite(id);
    await files.write(id, B + 10, fill(5, 42));
    model.set(fill(5, 42), B + 10);
    expect(await files.handle(id).spill(0)).toBe(true);
    await files.sync(id);
    await files.endWrite(id);
    expect((await manifestOf(s3)).blocks[1].patches).toHaveLength(1);
    await disk.flush();
    files.handle(id).evictClean();
    await files.beginWrite(id);
    expect(await files.applyWrites(id, 4 * B, [{ index: 1, offset: 100, bytes: fill(3, 43) }])).toEqual([]);
    model.set(fill(3, 43), B + 100);
    await files.sync(id);
    await files.endWrite(id);
    expect((await manifestOf(s3)).blocks[1].patches).toHaveLength(2);
    expect(await coldRead(s3, 4 * B)).toEqual(model);
    await files.close(id);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a block truncated away and written again in one transaction is no patch of its old object', async () => {
    const { s3, files, id, model } = await fourBlocks();
    await files.beginWrite(id);
    await files.truncate(id, 2 * B);
    // Block 3 comes back whole-sized: only its last 3 bytes are not zeros.
    await files.write(id, 4 * B - 3, fill(3, 77));
    await files.sync(id);
    await files.endWrite(id);
    const expected = new Uint8Array(4 * B);
    expected.set(model.subarray(0, 2 * B));
    expected.set(fill(3, 77), 4 * B - 3);
    expect((await manifestOf(s3)).blocks[3].patches).toBeUndefined();
    expect(await coldRead(s3, 4 * B)).toEqual(expected);
    await files.close(id);
  });

  test('a damaged patch object is refused by the block CRC32, naming the block', async () => {
    const { s3, files, id, model } = await fourBlocks();
    await transaction(files, id, model, [[B + 10, fill(5, 42)]]);
    await files.close(id);
    const key = patchObjects(s3)[0];
    await s3.put(key, fill(5, 41));
    await expect(coldRead(s3, 4 * B)).rejects.toThrow(/block 1 of 'db' .* is damaged/);
  });

  test('gc keeps the patch objects a manifest lists and collects those it no longer does', async () => {
    const { s3, files, id, model } = await fourBlocks();
    await transaction(files, id, model, [[B + 10, fill(5, 42)]]);
    const first = patchObjects(s3)[0];
    await transaction(files, id, model, [[B + 10, fill(B / 2, 8)]]); // block 1 goes up whole
    await files.close(id);
    const r = await collectGarbage(s3, 'db', 0);
    expect(r.deleted).toBeGreaterThanOrEqual(2);
    expect(s3.keys()).not.toContain(first);
    for (const k of listedKeys(await manifestOf(s3))) expect(s3.keys()).toContain(`db/${k}`);
    expect(await coldRead(s3, 4 * B)).toEqual(model);
  });
});

describe('version 3 manifests', () => {
  const m = { ...emptyManifest(8), size: 16, commit: 2 };
  const enc = (o) => new TextEncoder().encode(JSON.stringify(o));
  const patched = (patch, extra = {}) => ({ format: 'sqlite-s3vfs/versioned', version: 3, pageSize: 0, blockSize: 8, size: 16, commit: 2, generation: 0,
    blocks: [{ key: 'v/a', size: 8 }, { key: 'v/b', size: 8, patches: [patch], patchedCrc32: '01234567', ...extra }] });

  test('round trip; version 2 when no block has patches', () => {
    const v3 = { ...m, blocks: [{ key: 'v/a' }, { key: 'v/b', baseSize: 4, patches: [{ key: 'v/patch.2.aa', off: 3, runs: [1, 2, 5, 3] }], patchedCrc32: '89abcdef' }] };
    const back = parseManifest('k', encodeManifest(v3));
    expect(back.blocks[1]).toEqual(v3.blocks[1]);
    expect(JSON.parse(new TextDecoder().decode(encodeManifest({ ...m, blocks: [{ key: 'v/a' }, { key: 'v/b' }] }))).version).toBe(2);
  });

  test.each([
    ['a run past its block', patched({ key: 'v/p', off: 0, runs: [6, 3] }), /run of 3 bytes at 6/],
    ['runs out of order', patched({ key: 'v/p', off: 0, runs: [4, 2, 1, 1] }), /out of order/],
    ['an odd runs list', patched({ key: 'v/p', off: 0, runs: [4] }), /has runs/],
    ['no patchedCrc32', patched({ key: 'v/p', off: 0, runs: [1, 1] }, { patchedCrc32: undefined }), /patchedCrc32/],
    ['an absolute patch key', patched({ key: '/v/p', off: 0, runs: [1, 1] }), /patch 0 of block 1 has no relative key/],
    ['patches in a version 2 manifest', { ...patched({ key: 'v/p', off: 0, runs: [1, 1] }), version: 2 }, /version 2 does not have/],
  ])('refuses %s', (_what, body, error) => {
    expect(() => parseManifest('k', enc(body))).toThrow(error);
  });
});
