// Both layouts through the worker's file table, on the in-memory store: what a write,
// a commit and a failure leave in the bucket. (The same behaviour against a real server,
// with SQLite on top, is test/conformance/ and test/integration/.)
const { FileTable } = require('../../dist/store/file-table');
const { BlockCache } = require('../../dist/store/block-cache');
const { ConditionalWritesProbe } = require('../../dist/store/conditional-probe');
const { MemoryObjects } = require('../../dist/store/memory-objects');
const C = require('../../dist/sqlite-codes');

const DB = C.SQLITE_OPEN_MAIN_DB | 0x2 | C.SQLITE_OPEN_CREATE;
const JOURNAL = C.SQLITE_OPEN_MAIN_JOURNAL | 0x2 | C.SQLITE_OPEN_CREATE;

function table(s3, layout, blockSize = 8, disk = undefined) {
  return new FileTable({
    s3,
    blockSize,
    cache: new BlockCache(1 << 20, s3.counters),
    concurrency: 4,
    maxDirtyBytes: 1 << 20,
    maxStalenessMs: 0,
    rangeReadSize: 0,
    layout,
    leaseTtlMs: 30_000,
    disk,
    conditional: new ConditionalWritesProbe(s3, 'bucket'),
  }, 'bucket');
}

const bytes = (s) => new TextEncoder().encode(s);
const text = (b) => new TextDecoder().decode(b);

/** One write transaction as SQLite makes it: lock, write, sync (the commit), unlock. */
async function transaction(files, id, writes) {
  await files.beginWrite(id);
  for (const [offset, s] of writes) await files.write(id, offset, bytes(s));
  await files.sync(id);
  await files.endWrite(id);
}

async function contents(s3, layout, name) {
  const files = table(s3, layout);
  const { id, size } = await files.open(name, DB);
  const got = text(await files.handle(id).read(0, size));
  await files.close(id);
  return got;
}

describe.each(['compat', 'versioned'])('the %s layout', (layout) => {
  test('a committed write is what a new reader reads, across several blocks', async () => {
    const s3 = new MemoryObjects();
    const files = table(s3, layout);
    const { id } = await files.open('db', DB);
    await transaction(files, id, [[0, 'hello, world: twenty+']]);
    await transaction(files, id, [[7, 'WORLD']]);
    await files.close(id);
    expect(await contents(s3, layout, 'db')).toBe('hello, WORLD: twenty+');
  });

  test('a commit that fails leaves the last committed state for a new reader', async () => {
    const s3 = new MemoryObjects();
    const files = table(s3, layout);
    const { id } = await files.open('db', DB);
    await transaction(files, id, [[0, 'aaaaaaaabbbbbbbb']]);
    s3.faults = (op, key) => (op === 'PUT' && !key.endsWith('lease.json') ? new Error('injected: PUT refused') : undefined);
    await files.beginWrite(id);
    await files.write(id, 8, bytes('BBBBBBBB'));
    await expect(files.sync(id)).rejects.toThrow('injected');
    s3.faults = undefined;
    // The seed layout relies on the journal to undo a half-written transaction; with no
    // journal written here and the upload refused outright, nothing of it reached S3.
    expect(await contents(s3, layout, 'db')).toBe('aaaaaaaabbbbbbbb');
  });

  test('a missing database without CREATE is ENOENT, named', async () => {
    const files = table(new MemoryObjects(), layout);
    await expect(files.open('nothing', C.SQLITE_OPEN_MAIN_DB | 0x2)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

test('compat: journal data reaches the bucket before the database it protects is written', async () => {
  const s3 = new MemoryObjects();
  const files = table(s3, 'compat');
  const db = (await files.open('db', DB)).id;
  await transaction(files, db, [[0, 'original']]);
  const journal = (await files.open('db-journal', JOURNAL)).id;
  await files.write(journal, 0, bytes('undo: original'));
  await files.sync(journal); // not durable yet: nothing depends on it
  expect(s3.keys().filter((k) => k.startsWith('db-journal/'))).toEqual([]);
  await files.write(db, 0, bytes('changed!'));
  // The database write made the journal go up first; the database itself has not yet.
  expect(s3.keys().filter((k) => k.startsWith('db-journal/')).length).toBeGreaterThan(0);
  expect(text((await s3.get('db/0000000000')).body)).toBe('original');
});

test('versioned: the journal stays in memory, and the commit is one manifest PUT after the blocks', async () => {
  const s3 = new MemoryObjects();
  const order = [];
  s3.faults = (op, key) => {
    if (op === 'PUT') order.push(key.replace(/\.[0-9a-f]+$/, ''));
    return undefined;
  };
  const files = table(s3, 'versioned');
  const db = (await files.open('db', DB)).id;
  const journal = await files.open('db-journal', JOURNAL);
  expect(journal.inMemory).toBe(true);
  await transaction(files, db, [[0, 'sixteen bytes!!!']]);
  expect(s3.keys().some((k) => k.startsWith('db-journal'))).toBe(false);
  const manifest = order.lastIndexOf('db/manifest.json');
  const blocks = order.filter((k) => k.startsWith('db/v/'));
  expect(blocks.length).toBe(2);
  expect(order.indexOf(blocks[0])).toBeLessThan(manifest);
  expect(order.indexOf(blocks[1])).toBeLessThan(manifest);
  const m = JSON.parse(text((await s3.get('db/manifest.json')).body));
  expect(m).toMatchObject({ size: 16, blockSize: 8 });
  expect(m.blocks.map((b) => `db/${b.key}`).sort()).toEqual(s3.keys().filter((k) => k.startsWith('db/v/')).sort());
});
