// Range GETs: a lookup's first read of a large block fetches a piece of it, a second
// miss in that block fetches it whole, and writes never see a stale piece. Both layouts.
const { makeVfs, closeAll, uniquePrefix, series } = require('../support/helpers');

afterAll(closeAll);

const BLOCK = 256 << 10;
const ROWS = 6000;

/** A database of about 2.5 MiB (10 blocks of 256 KiB): t(id INTEGER PRIMARY KEY, v). */
function build(prefix, layout) {
  const vfs = makeVfs({ blockSize: BLOCK, layout });
  const db = vfs.open(prefix);
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t SELECT value, printf('%0400d', value) FROM ${series(ROWS)}`);
  db.close();
}

function lookup(db, id) {
  return db.prepare('SELECT v FROM t WHERE id = ?').pluck().get(id);
}

describe.each(['compat', 'versioned'])('the %s layout', (layout) => {
  test('a lookup in a cold cache fetches pieces of blocks, not whole blocks', async () => {
    const prefix = uniquePrefix('range');
    build(prefix, layout);
    const vfs = makeVfs({ layout, rangeReadSize: 16 << 10 });
    const db = vfs.open(prefix);
    vfs.resetStats();
    expect(lookup(db, 4321)).toBe(String(4321).padStart(400, '0'));
    const s = vfs.stats();
    expect(s.getRange).toBeGreaterThan(0);
    // Far less than one whole block per level of the B-tree.
    expect(s.bytesDown).toBeLessThan(BLOCK);
    db.close();
  });

  test('a second miss in a block read in pieces fetches the whole block; answers stay right', async () => {
    const prefix = uniquePrefix('range2');
    build(prefix, layout);
    const vfs = makeVfs({ layout, rangeReadSize: 16 << 10 });
    const db = vfs.open(prefix);
    db.pragma('locking_mode = EXCLUSIVE');
    const ids = [1, ROWS, 2999, 17, 4500, 1200, 5999, 3001];
    for (const id of ids) expect(lookup(db, id)).toBe(String(id).padStart(400, '0'));
    const first = vfs.stats();
    expect(first.getRange).toBeGreaterThan(0);
    expect(first.get).toBeGreaterThan(first.getRange); // some blocks were fetched whole
    // The whole database, read through pieces and whole blocks, is intact.
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare('SELECT count(*), sum(id) FROM t').raw().get()).toEqual([ROWS, (ROWS * (ROWS + 1)) / 2]);
    db.close();
  });

  test('writes after range reads are never lost or mixed with stale pieces', async () => {
    const prefix = uniquePrefix('range3');
    build(prefix, layout);
    const vfs = makeVfs({ layout, rangeReadSize: 16 << 10 });
    const db = vfs.open(prefix);
    for (const id of [10, 3000, 5900]) lookup(db, id);
    db.prepare("UPDATE t SET v = 'changed-' || id WHERE id IN (10, 3000, 5900)").run();
    for (const id of [10, 3000, 5900]) expect(lookup(db, id)).toBe(`changed-${id}`);
    db.close();
    const fresh = makeVfs({ layout, rangeReadSize: 16 << 10 }).open(prefix);
    for (const id of [10, 3000, 5900]) expect(lookup(fresh, id)).toBe(`changed-${id}`);
    expect(lookup(fresh, 11)).toBe(String(11).padStart(400, '0'));
    expect(fresh.pragma('integrity_check', { simple: true })).toBe('ok');
    fresh.close();
  });

  test('rangeReadSize 0 turns range GETs off; a bad value is refused', async () => {
    const prefix = uniquePrefix('range4');
    build(prefix, layout);
    const vfs = makeVfs({ layout, rangeReadSize: 0 });
    const db = vfs.open(prefix);
    expect(lookup(db, 77)).toBe(String(77).padStart(400, '0'));
    expect(vfs.stats().getRange).toBe(0);
    db.close();
    expect(() => makeVfs({ layout, rangeReadSize: -5 })).toThrow(/rangeReadSize must be a positive integer/);
  });

  test('range GETs stop when the blocks they fetched are read again anyway', async () => {
    const prefix = uniquePrefix('range5');
    const writer = makeVfs({ layout, blockSize: 64 << 10 });
    const w = writer.open(prefix);
    w.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t SELECT value, printf('%0400d', value) FROM ${series(ROWS)}`);
    w.close();
    const vfs = makeVfs({ layout, rangeReadSize: 4096 });
    const db = vfs.open(prefix);
    db.pragma('locking_mode = EXCLUSIVE');
    // Dense lookups: every one of the ~40 blocks is read many times.
    let x = 7;
    for (let n = 0; n < 400; n++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const id = 1 + (x % ROWS);
      expect(lookup(db, id)).toBe(String(id).padStart(400, '0'));
    }
    const s = vfs.stats();
    const blocks = Math.ceil((Number(db.pragma('page_count', { simple: true })) * 4096) / (64 << 10));
    expect(blocks).toBeGreaterThan(30);
    expect(s.getRange).toBeGreaterThanOrEqual(8);
    expect(s.getRange).toBeLessThan(blocks / 2);
    db.close();
  });
});
