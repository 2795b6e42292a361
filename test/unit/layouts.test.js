// Both layouts through the worker's file table, on the in-memory store: what a write,
// a commit and a failure leave in the bucket. (The same behaviour against a real server,
// with SQLite on top, is test/conformance/ and test/integration/.)
const { fileTable } = require('../support/file-tables');
const { MemoryObjects } = require('../../dist/store/memory-objects');
const C = require('../../dist/sqlite-codes');

const DB = C.SQLITE_OPEN_MAIN_DB | 0x2 | C.SQLITE_OPEN_CREATE;
const JOURNAL = C.SQLITE_OPEN_MAIN_JOURNAL | 0x2 | C.SQLITE_OPEN_CREATE;

const table = (s3, layout, blockSize = 8, disk = undefined) => fileTable(s3, layout, blockSize, disk);

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

test('compat: database blocks wait for the journal records written before them; a journal header waits for the database', async () => {
  const s3 = new MemoryObjects();
  const order = [];
  s3.faults = (op, key) => {
    if (op === 'PUT') order.push(key);
    return undefined;
  };
  const files = table(s3, 'compat');
  const db = (await files.open('db', DB)).id;
  await transaction(files, db, [[0, 'original']]);
  order.length = 0;
  await files.beginWrite(db);
  const journal = (await files.open('db-journal', JOURNAL)).id;
  await files.write(journal, 0, bytes('JOURNAL!record-1')); // a header, then a record
  await files.sync(journal); // not durable yet: nothing depends on it
  await files.write(db, 0, bytes('changed!'));
  await files.write(journal, 16, bytes('record-2')); // an append: the database need not go up
  await files.write(db, 8, bytes('second!!'));
  // Nothing is up: the database's blocks wait in the worker for its sync.
  expect(order).toEqual([]);
  expect(text((await s3.get('db/0000000000')).body)).toBe('original');

  await files.sync(db);
  const journalPuts = order.filter((k) => k.startsWith('db-journal/'));
  expect([...journalPuts].sort()).toEqual(['db-journal/0000000000', 'db-journal/0000000001', 'db-journal/0000000002']);
  expect(journalPuts[2]).toBe('db-journal/0000000000'); // the header after the records it counts
  const lastJournal = order.lastIndexOf('db-journal/0000000000');
  expect(order.findIndex((k) => k.startsWith('db/'))).toBeGreaterThan(lastJournal);
  expect(order.filter((k) => k.startsWith('db/')).sort()).toEqual(['db/0000000000', 'db/0000000001']);

  // Zeroing the journal's magic (PERSIST's commit) waits until the database is up.
  order.length = 0;
  await files.write(db, 0, bytes('CHANGED!'));
  expect(order).toEqual([]);
  await files.write(journal, 0, new Uint8Array(8));
  expect(order).toEqual(['db/0000000000']);
  await files.sync(journal);
  expect(order).toEqual(['db/0000000000', 'db-journal/0000000000']);
  await files.endWrite(db);
});

test('exclusive() runs work one at a time, in the order it came, also after a failure', async () => {
  const files = table(new MemoryObjects(), 'compat');
  const log = [];
  let release = () => {};
  const gate = new Promise((resolve) => (release = () => resolve(undefined)));
  const a = files.exclusive(async () => {
    log.push('a starts');
    await gate;
    log.push('a ends');
    throw new Error('a failed');
  });
  const b = files.exclusive(async () => {
    log.push('b');
    return 2;
  });
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(log).toEqual(['a starts']);
  release();
  await expect(a).rejects.toThrow('a failed');
  expect(await b).toBe(2);
  expect(log).toEqual(['a starts', 'a ends', 'b']);
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
