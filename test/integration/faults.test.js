// Slow, stalled and silent answers from S3, injected by a proxy in its own process: each
// attempt has a deadline that covers its whole answer, repeatable requests are tried
// again, and a VFS that met a slow answer goes on working.
const { config, makeVfs, uniquePrefix, series, collect, useFaultProxy } = require('../support/helpers');

const proxy = useFaultProxy('the fault tests');
let prefix;
let expected;
beforeAll(async () => {
  prefix = uniquePrefix('faults');
  const db = makeVfs({ layout: 'versioned', blockSize: 65536 }).open(prefix);
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) SELECT hex(randomblob(100)) FROM ${series(3000)}`);
  expected = db.prepare('SELECT count(*) AS n, sum(length(v)) AS l FROM t').get();
  db.close();
});
beforeEach(() => proxy.reset());

const throughProxy = () => makeVfs({ s3: proxy.s3, requestTimeoutMs: 1000 });
const BLOCK_GET = { method: 'GET', key: '/v/\\d{10}\\.', times: 1 };

test.each(['stall', 'hang'])('a block GET whose answer %ss is tried again after the deadline, and the query completes', async (action) => {
  const vfs = throughProxy();
  await proxy.faults([{ ...BLOCK_GET, action }]);
  const db = vfs.open(prefix, { readonly: true });
  const started = Date.now();
  expect(db.prepare('SELECT count(*) AS n, sum(length(v)) AS l FROM t').get()).toEqual(expected);
  expect(Date.now() - started).toBeLessThan(10000);
  expect(vfs.stats().retries).toBeGreaterThanOrEqual(1);
  expect((await proxy.log()).filter((e) => e.action === action)).toHaveLength(1);
  // The VFS is not broken by the slow answer.
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();
});

test('serialize settles when a block GET stalls half way', async () => {
  const vfs = throughProxy();
  const reference = await collect(makeVfs().serialize(prefix));
  await proxy.faults([{ ...BLOCK_GET, action: 'stall' }]);
  expect((await collect(vfs.serialize(prefix))).equals(reference)).toBe(true);
  expect(vfs.stats().retries).toBe(1);
});

test('a GET that stalls every time fails with a timeout that names the key, and the VFS goes on', async () => {
  const vfs = throughProxy();
  const db = vfs.open(prefix, { readonly: true }); // block 0, before the fault
  await proxy.faults([{ method: 'GET', key: '/v/\\d{10}\\.', action: 'stall' }]);
  let error;
  try {
    db.prepare('SELECT sum(length(v)) FROM t').get();
  } catch (err) {
    error = err;
  }
  expect(error?.code).toMatch(/^SQLITE_IOERR/);
  expect(error.cause?.message).toMatch(/TimeoutError.*GET s3:\/\/.*\/v\/\d{10}\./);
  await proxy.faults([]);
  expect(db.prepare('SELECT count(*) AS n, sum(length(v)) AS l FROM t').get()).toEqual(expected);
  db.close();
});

describe('a commit whose answer is lost', () => {
  /** A new versioned database through the proxy, with one row, its lease held. */
  async function writer(options = {}) {
    const vfs = makeVfs({ layout: 'versioned', s3: proxy.s3, ...options });
    const name = uniquePrefix('outcome');
    const db = vfs.open(name);
    db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
    return { vfs, name, db };
  }
  /** What a new VFS, straight to the server, finds. */
  function rowsInS3(name) {
    const db = makeVfs().open(name, { readonly: true });
    const rows = db.prepare('SELECT x FROM t ORDER BY x').pluck().all();
    db.close();
    return rows;
  }
  const MANIFEST_PUT = { method: 'PUT', key: '/manifest\\.json$' };

  test('applied, then its answer lost: the commit is found applied and succeeds', async () => {
    const { db, name } = await writer();
    await proxy.reset();
    await proxy.faults([{ ...MANIFEST_PUT, action: 'lose', times: 1 }]);
    db.prepare('INSERT INTO t VALUES (2)').run();
    expect(rowsInS3(name)).toEqual([1, 2]);
    // The SDK sent it again and S3 refused the copy (412): the manifest was read back.
    const puts = (await proxy.log()).filter((e) => e.method === 'PUT' && /manifest\.json$/.test(e.key));
    expect(puts.map((e) => [e.action, e.status])).toEqual([['lose', 200], ['pass', 412]]);
    db.close();
  });

  test('not applied, its answer lost: the same manifest is sent again, and the commit succeeds', async () => {
    const { db, name } = await writer();
    await proxy.reset();
    await proxy.faults([{ ...MANIFEST_PUT, action: 'drop', times: 3 }]); // every attempt of the SDK
    db.prepare('INSERT INTO t VALUES (2)').run();
    expect(rowsInS3(name)).toEqual([1, 2]);
    const puts = (await proxy.log()).filter((e) => e.method === 'PUT' && /manifest\.json$/.test(e.key));
    expect(puts.map((e) => e.action)).toEqual(['drop', 'drop', 'drop', 'pass']);
    db.close();
  });

  test('timed out and landing late: sent again, the commit succeeds, and the late copy is refused', async () => {
    const { db, name } = await writer({ requestTimeoutMs: 500 });
    await proxy.faults([{ ...MANIFEST_PUT, action: 'delay', ms: 1500, times: 1 }]);
    db.prepare('INSERT INTO t VALUES (2)').run();
    await new Promise((r) => setTimeout(r, 2000)); // the late copy has reached S3 by now
    const late = (await proxy.log()).find((e) => e.action === 'delay');
    expect(late.status).toBe(412); // refused: the manifest it expected is gone
    expect(rowsInS3(name)).toEqual([1, 2]);
    db.close();
  });

  test('refused by S3 (403): the commit fails, nothing changes, and the connection goes on', async () => {
    const { db, name } = await writer();
    await proxy.faults([{ ...MANIFEST_PUT, action: 'status', status: 403, code: 'AccessDenied', times: 1 }]);
    expect(() => db.prepare('INSERT INTO t VALUES (2)').run()).toThrow(expect.objectContaining({ code: expect.stringMatching(/^SQLITE_IOERR/), message: expect.stringMatching(/AccessDenied/) }));
    expect(rowsInS3(name)).toEqual([1]);
    expect(db.prepare('SELECT x FROM t').pluck().all()).toEqual([1]);
    db.prepare('INSERT INTO t VALUES (3)').run();
    expect(rowsInS3(name)).toEqual([1, 3]);
    db.close();
  });

  test('neither applied nor readable back: the error says that the outcome is unknown', async () => {
    const { db } = await writer();
    await proxy.faults([
      { ...MANIFEST_PUT, action: 'lose' },
      { method: 'GET', key: '/manifest\\.json$', action: 'status', status: 503, code: 'SlowDown' },
    ]);
    let error;
    try {
      db.prepare('INSERT INTO t VALUES (2)').run();
    } catch (err) {
      error = err;
    }
    expect(error?.cause?.code).toBe('EUNKNOWN');
    expect(error.message).toMatch(/outcome of the conditional PUT of .*manifest\.json is unknown/);
    await proxy.faults([]);
    db.close();
  });
});

test('a server that ignores conditional writes is found out before the first versioned commit', async () => {
  const raw = makeVfs({ layout: 'versioned', s3: { ...config.s3, endpoint: `http://127.0.0.1:${config.rawPort}` } });
  const db = raw.open(uniquePrefix('no-conditions'));
  expect(() => db.exec('CREATE TABLE t(x)')).toThrow(/ignores conditional writes .*layout: 'compat'/);
  db.close();
  // The seed layout needs none.
  const compat = makeVfs({ layout: 'compat', s3: { ...config.s3, endpoint: `http://127.0.0.1:${config.rawPort}` } });
  const c = compat.open(uniquePrefix('no-conditions-compat'));
  c.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
  expect(c.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1);
  c.close();
});

test.each(['versioned', 'compat'])('late duplicates of every PUT change nothing (%s layout)', async (layout) => {
  // Versioned: blocks are never overwritten and the manifest's PUT is conditional. Seed
  // layout: each block PUT is conditional on what this writer last saw of the object.
  const vfs = makeVfs({ layout, blockSize: 4096, s3: proxy.s3 });
  const name = uniquePrefix(`duplicates-${layout}`);
  const db = vfs.open(name);
  // The seed layout's journal too: its block 0 is emptied, not deleted, after each commit,
  // so a late copy of its first PUT cannot create a hot journal again.
  await proxy.faults([{ method: 'PUT', action: 'duplicate', ms: 300 }]);
  db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) SELECT hex(randomblob(50)) FROM ${series(300)}`);
  for (let i = 0; i < 5; i++) db.exec(`UPDATE t SET v = 'round ${i}' WHERE id % 5 = ${i}`);
  const expectedRows = db.prepare("SELECT count(*) FROM t WHERE v LIKE 'round %'").pluck().get();
  db.close();
  await new Promise((r) => setTimeout(r, 1000)); // every late copy has landed (or been refused)
  expect((await proxy.log()).filter((e) => e.action === 'duplicate').length).toBeGreaterThan(10);
  const check = makeVfs().open(name, { readonly: true });
  expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(check.prepare("SELECT count(*) FROM t WHERE v LIKE 'round %'").pluck().get()).toBe(expectedRows);
  expect(expectedRows).toBe(300);
  check.close();
});

test('a server that answers a conditional block PUT with 501 Not Implemented gets plain PUTs (seed layout)', async () => {
  const vfs = makeVfs({ layout: 'compat', blockSize: 4096, s3: proxy.s3 });
  const name = uniquePrefix('no-conditions');
  const db = vfs.open(name);
  await proxy.faults([{ method: 'PUT', action: 'status', status: 501, code: 'NotImplemented', times: 1 }]);
  db.exec(`CREATE TABLE t(x); INSERT INTO t SELECT value FROM ${series(200)}`);
  db.close();
  expect((await proxy.log()).filter((e) => e.status === 501).length).toBe(1);
  const check = makeVfs().open(name, { readonly: true });
  expect(check.prepare('SELECT count(*) FROM t').pluck().get()).toBe(200);
  check.close();
});

test('a migration whose manifest PUT gets no answer is sent again, never left as an empty database', async () => {
  const name = uniquePrefix('migrate-lost');
  const seed = makeVfs({ layout: 'compat', blockSize: 4096 }).open(name);
  seed.exec(`CREATE TABLE t(x); INSERT INTO t SELECT value FROM ${series(500)}`);
  seed.close();
  await proxy.faults([{ method: 'PUT', key: '/manifest\\.json$', action: 'drop', times: 3 }]);
  expect(await makeVfs({ layout: 'versioned', s3: proxy.s3 }).migrate(name)).toMatchObject({ migrated: true });
  const db = makeVfs().open(name, { readonly: true });
  expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(500);
  db.close();
});
