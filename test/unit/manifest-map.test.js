// A large database's manifest: map pages and a root that lists what changed since them
// (lib/store/versioned/manifest-map.ts; docs/FORMAT.md, "Map pages"). What a commit writes,
// what a reader reads, and that every state reads back. On the in-memory store, through the
// worker's file table, with 16-byte blocks so that a database of thousands of blocks is small.
const { MemoryObjects } = require('../../dist/store/memory-objects');
const { parseManifest, listedKeys } = require('../../dist/store/versioned/manifest');
const { resolveManifest, MAP_FROM_BLOCKS, MAP_PAGE_BLOCKS, MAX_CHANGED } = require('../../dist/store/versioned/manifest-map');
const { collectGarbage } = require('../../dist/store/versioned/gc');
const { DiskCache } = require('../../dist/store/disk-cache');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DB, versionedTable, transaction, coldRead: coldReadOf } = require('../support/file-tables');

const B = 16;

const table = (s3, disk) => versionedTable(s3, B, disk);
const coldRead = (s3, size) => coldReadOf(s3, B, size);

const root = async (s3) => JSON.parse(new TextDecoder().decode((await s3.get('db/manifest.json')).body));
const resolved = async (s3) => resolveManifest(s3, 'db', parseManifest('db/manifest.json', (await s3.get('db/manifest.json')).body));
const mapPages = (s3) => s3.keys().filter((k) => k.startsWith('db/v/map.'));

/** A committed database of `blocks` full blocks, each byte a function of its offset. */
async function database(blocks) {
  const s3 = new MemoryObjects();
  const files = table(s3);
  const { id } = await files.open('db', DB);
  const model = new Uint8Array(blocks * B);
  await transaction(files, id, model, [[0, Uint8Array.from({ length: blocks * B }, (_, i) => (i * 7) % 251)]]);
  return { s3, files, id, model };
}

test(`a database of more than ${MAP_FROM_BLOCKS} blocks keeps its entries in map pages; a new reader reads it`, async () => {
  const { s3, files, id, model } = await database(MAP_PAGE_BLOCKS + 88);
  const r = await root(s3);
  expect(r.blocks).toBeUndefined();
  expect(r.map.map((p) => p.count)).toEqual([MAP_PAGE_BLOCKS, 88]);
  expect(r.changed).toEqual([]);
  expect(mapPages(s3)).toHaveLength(2);
  expect(await coldRead(s3, model.length)).toEqual(model);
  await files.close(id);
});

test('a small commit rewrites the root alone, whose size does not grow with the database', async () => {
  const sizes = [];
  for (const blocks of [1000, 8000]) {
    const { s3, files, id, model } = await database(blocks);
    const pagesBefore = mapPages(s3);
    await transaction(files, id, model, [[5 * B + 3, Uint8Array.of(1, 2)], [(blocks - 2) * B, Uint8Array.of(3)]]);
    expect(mapPages(s3)).toEqual(pagesBefore);
    const r = await root(s3);
    expect(r.changed.map((c) => c.index)).toEqual([5, blocks - 2]);
    sizes.push((await s3.get('db/manifest.json')).body.length);
    expect(await coldRead(s3, model.length)).toEqual(model);
    await files.close(id);
  }
  // 8 times the blocks: a few more page references, not 8 times the bytes.
  expect(sizes[1]).toBeLessThan(sizes[0] + 16 * 100);
  expect(sizes[1]).toBeLessThan(4096);
});

test(`past ${MAX_CHANGED} changed entries a commit writes the pages whose entries changed, and keeps the others`, async () => {
  const blocks = 3 * MAP_PAGE_BLOCKS;
  const { s3, files, id, model } = await database(blocks);
  const before = (await root(s3)).map;
  // Changes in the first and the last page only, over several commits.
  for (let start = 0; start <= MAX_CHANGED; start += 64) {
    const writes = [];
    for (let i = start; i < Math.min(start + 64, MAX_CHANGED + 1); i++) {
      writes.push([i % 2 ? i * B : (blocks - 1 - i) * B, Uint8Array.of(i % 256)]);
    }
    await transaction(files, id, model, writes);
    expect(await coldRead(s3, model.length)).toEqual(model);
  }
  const after = await root(s3);
  expect(after.changed).toEqual([]);
  expect(after.map[1]).toEqual(before[1]);
  expect(after.map[0].key).not.toBe(before[0].key);
  expect(after.map[2].key).not.toBe(before[2].key);
  await files.close(id);
});

test('a reader that follows commits reads a map page again only when a checkpoint replaced it', async () => {
  const blocks = 3 * MAP_PAGE_BLOCKS;
  const { s3, files, id, model } = await database(blocks);
  const reader = table(s3);
  const r = await reader.open('db', DB);
  const gets = [];
  const get = s3.get.bind(s3);
  s3.get = (key, range) => (gets.push(key), get(key, range));
  await transaction(files, id, model, [[(MAP_PAGE_BLOCKS + 3) * B, Uint8Array.of(9)]]);
  expect(await reader.handle(r.id).revalidate()).toBe(true);
  expect(gets.filter((k) => k.includes('/v/map.'))).toEqual([]);
  expect(await reader.handle(r.id).read(0, model.length)).toEqual(model);
  // Enough changes in page 1 for a checkpoint: only that page is new, pages 0 and 2 stay.
  const writes = Array.from({ length: MAX_CHANGED + 1 }, (_, k) => [(MAP_PAGE_BLOCKS + k) * B, Uint8Array.of(k % 256)]);
  await transaction(files, id, model, writes);
  gets.length = 0;
  expect(await reader.handle(r.id).revalidate()).toBe(true);
  const after = (await root(s3)).map;
  expect(gets.filter((k) => k.includes('/v/map.'))).toEqual([`db/${after[1].key}`]);
  expect(mapPages(s3)).toEqual(expect.arrayContaining([`db/${after[0].key}`, `db/${after[2].key}`]));
  expect(await reader.handle(r.id).read(0, model.length)).toEqual(model);
  await reader.close(r.id);
  await files.close(id);
});

test('shrinking below the threshold stores the entries inline again; growing back maps them', async () => {
  const { s3, files, id, model } = await database(MAP_FROM_BLOCKS + 10);
  await files.beginWrite(id);
  await files.truncate(id, 100 * B + 5);
  await files.sync(id);
  await files.endWrite(id);
  expect((await root(s3)).blocks).toHaveLength(101);
  expect(await coldRead(s3, 100 * B + 5)).toEqual(model.slice(0, 100 * B + 5));
  const grown = new Uint8Array((MAP_FROM_BLOCKS + 40) * B);
  grown.set(model.slice(0, 100 * B + 5));
  await transaction(files, id, grown, [[(MAP_FROM_BLOCKS + 39) * B, new Uint8Array(B).fill(6)]]);
  expect((await root(s3)).map).toBeDefined();
  expect(await coldRead(s3, grown.length)).toEqual(grown);
  await files.close(id);
});

test("map pages are kept on this machine's disk: a second reader there GETs none", async () => {
  const { s3, files, id, model } = await database(MAP_PAGE_BLOCKS + 10);
  await files.close(id);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'map-pages-'));
  const disk = new DiskCache(dir, 1 << 22, 'ns', s3.counters);
  const gets = [];
  const get = s3.get.bind(s3);
  s3.get = (key, range) => (gets.push(key), get(key, range));
  const read = async () => {
    const t = versionedTable(s3, B, disk);
    const { id: r } = await t.open('db', DB);
    const got = await t.handle(r).read(0, model.length);
    await t.close(r);
    return got;
  };
  expect(await read()).toEqual(model);
  expect(gets.filter((k) => k.includes('/v/map.'))).toHaveLength(2);
  await disk.flush();
  gets.length = 0;
  expect(await read()).toEqual(model);
  expect(gets.filter((k) => k.includes('/v/map.'))).toEqual([]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a damaged map page is refused, naming it; a vanished one too', async () => {
  const { s3, files, id, model } = await database(MAP_FROM_BLOCKS + 1);
  await files.close(id);
  const [page] = mapPages(s3);
  const body = (await s3.get(page)).body;
  await s3.put(page, Uint8Array.from(body, (b, i) => (i === 20 ? b ^ 1 : b)));
  await expect(coldRead(s3, model.length)).rejects.toThrow(new RegExp(`map page ${page} of 'db' is damaged`));
  await s3.deleteKeys([page]);
  await expect(coldRead(s3, model.length)).rejects.toThrow(/has vanished/);
});

test('gc keeps the map pages and the blocks they list, and collects the pages a checkpoint replaced', async () => {
  const blocks = 2 * MAP_PAGE_BLOCKS;
  const { s3, files, id, model } = await database(blocks);
  const first = (await root(s3)).map[0].key;
  await transaction(files, id, model, Array.from({ length: MAX_CHANGED + 1 }, (_, k) => [k * B, Uint8Array.of(1)]));
  await files.close(id);
  await collectGarbage(s3, 'db', 0);
  expect(s3.keys()).not.toContain(`db/${first}`);
  const m = await resolved(s3);
  for (const k of listedKeys(m)) expect(s3.keys()).toContain(`db/${k}`);
  expect(await coldRead(s3, model.length)).toEqual(model);
});

describe('a mapped root', () => {
  const enc = (o) => new TextEncoder().encode(JSON.stringify(o));
  const base = { format: 'sqlite-s3vfs/versioned', version: 3, pageSize: 0, blockSize: 8, size: 80, commit: 2, generation: 0 };
  test.each([
    ['an empty map', { ...base, map: [], changed: [] }, /map is \[\]/],
    ['a page without a CRC', { ...base, map: [{ key: 'v/map.1.aa', count: 10 }], changed: [] }, /map page 0 is/],
    ['a page without its size', { ...base, map: [{ key: 'v/map.1.aa', count: 10, crc32: '00000000' }], changed: [] }, /map page 0 is/],
    ['a changed entry past the end', { ...base, map: [{ key: 'v/map.1.aa', count: 10, size: 9, crc32: '00000000' }], changed: [{ index: 10, key: 'v/x', size: 8 }] }, /index 10/],
    ['no changed list', { ...base, map: [{ key: 'v/map.1.aa', count: 10, size: 9, crc32: '00000000' }] }, /changed is undefined/],
  ])('refuses %s', (_what, body, error) => {
    expect(() => parseManifest('k', enc(body))).toThrow(error);
  });

  test('refuses blocks that neither its pages nor its changed entries hold', async () => {
    const { s3, files, id } = await database(MAP_FROM_BLOCKS + 1);
    await files.close(id);
    const r = await root(s3);
    await s3.put('db/manifest.json', enc({ ...r, size: r.size + B }));
    await expect(resolved(s3)).rejects.toThrow(/block 513 is in neither its map pages/);
  });
});
