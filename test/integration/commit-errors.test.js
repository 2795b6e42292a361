// A commit that fails in S3 must fail the statement, and one that succeeds must be in S3,
// under every setting SQLite offers (synchronous, journal_mode, locking_mode) in both
// layouts, or the setting is refused when it is made. Afterwards the connection sees what
// S3 holds. Faults come from a proxy in its own process.
const { makeVfs, uniquePrefix, useFaultProxy } = require('../support/helpers');

const proxy = useFaultProxy('the commit-error tests');

/** What a new VFS, straight to the server, sees of the database. */
async function inS3(prefix) {
  const vfs = makeVfs();
  try {
    const db = vfs.open(prefix);
    const out = { integrity: db.pragma('integrity_check', { simple: true }), rows: db.prepare('SELECT x FROM t ORDER BY x').pluck().all() };
    db.close();
    return out;
  } finally {
    await vfs.close();
  }
}

const EVERY_MUTATION = ['PUT', 'POST', 'DELETE'].map((method) => ({ method, action: 'status', status: 500 }));

const cases = [];
for (const layout of ['versioned', 'compat']) {
  for (const locking of ['NORMAL', 'EXCLUSIVE']) {
    for (const journal of ['DELETE', 'TRUNCATE', 'PERSIST', 'MEMORY', 'OFF', 'WAL']) {
      for (const synchronous of ['OFF', 'NORMAL', 'FULL', 'EXTRA']) cases.push({ layout, locking, journal, synchronous });
    }
  }
}

describe.each(cases)('$layout, locking_mode $locking, journal_mode $journal, synchronous $synchronous', ({ layout, locking, journal, synchronous }) => {
  test('a commit S3 refuses fails the statement; the connection then sees what S3 has', async () => {
    await proxy.reset();
    const prefix = uniquePrefix(`commit-${layout}`);
    const vfs = makeVfs({ layout, blockSize: 4096, s3: proxy.s3 });
    const db = vfs.open(prefix);
    db.pragma(`locking_mode = ${locking}`);
    let refused = null;
    db.unsafeMode(journal === 'OFF'); // better-sqlite3 would keep journal_mode=OFF from taking effect otherwise
    try {
      db.pragma(`journal_mode = ${journal}`);
    } catch (err) {
      refused = err.message;
    }
    const unsafe = (layout === 'compat' && (journal === 'OFF' || journal === 'MEMORY')) || journal === 'WAL';
    if (unsafe) {
      expect(refused).toMatch(new RegExp(`journal_mode=${journal} is refused`, 'i'));
      db.close();
      return;
    }
    expect(refused).toBeNull();
    expect(db.pragma('journal_mode', { simple: true })).toBe(journal.toLowerCase());
    db.pragma(`synchronous = ${synchronous}`);
    db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');

    await proxy.faults(EVERY_MUTATION);
    let committed = true;
    try {
      db.prepare('INSERT INTO t VALUES (2)').run();
    } catch (err) {
      committed = false;
      expect(err.code).toMatch(/^SQLITE_(IOERR|BUSY|FULL)/);
    }
    await proxy.faults([]);

    const seen = db.prepare('SELECT x FROM t ORDER BY x').pluck().all();
    db.close();
    // After close, so that closing must not have changed the outcome either.
    const truth = await inS3(prefix);
    expect(truth.integrity).toBe('ok');
    expect({ committed, rows: truth.rows }).toEqual({ committed, rows: committed ? [1, 2] : [1] });
    expect(seen).toEqual(truth.rows);
  });
});
