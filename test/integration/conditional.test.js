// What needs a server that honours conditional writes (Ceph radosgw here, or the real
// endpoint of S3VFS_ENDPOINT): single-writer leases, fencing, racing writers and readers.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { S3VFS } = require('../..');
const { config, elsewhere, uniquePrefix } = require('../support/helpers');

const server = config.conditional;
const suite = server ? describe : describe.skip;
const open = [];
function vfsOn(options = {}) {
  const vfs = new S3VFS({ bucket: server.bucket, s3: server.s3, blockSize: 16384, ...options });
  open.push(vfs);
  return vfs;
}
afterAll(() => Promise.allSettled(open.map((v) => v.close())));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function create(prefix) {
  const vfs = vfsOn();
  const db = vfs.open(prefix);
  db.exec('CREATE TABLE log(writer TEXT, n INTEGER, PRIMARY KEY (writer, n)); CREATE TABLE counter(total INTEGER); INSERT INTO counter VALUES (0)');
  db.close();
}

function runRaceWriter(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'support', 'race-writer.js'), JSON.stringify({ ...args, bucket: server.bucket, s3: server.s3 })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`race writer exited ${code}: ${out}`))));
  });
}

suite('on a server with conditional writes', () => {
  test('a second writer gets SQLITE_BUSY naming the lease holder; it gets in once the first closes', () => {
    const prefix = uniquePrefix('lease-busy');
    create(prefix);
    const a = vfsOn().open(prefix);
    a.exec('INSERT INTO log VALUES (\'a\', 1)');
    const b = vfsOn().open(prefix, { timeout: 0 });
    let err;
    try {
      b.exec('INSERT INTO log VALUES (\'b\', 1)');
    } catch (e) {
      err = e;
    }
    expect(err?.code).toBe('SQLITE_BUSY');
    expect(err.message).toMatch(/being written by .*lease .*lease\.json held until \d{4}-/);
    // Reading is never blocked.
    expect(b.prepare('SELECT count(*) FROM log').pluck().get()).toBe(1);
    a.close();
    b.exec('INSERT INTO log VALUES (\'b\', 1)');
    expect(b.prepare('SELECT count(*) FROM log').pluck().get()).toBe(2);
    b.close();
  });

  test('a lease that expires is taken over, and the old holder can no longer commit', async () => {
    const prefix = uniquePrefix('lease-expiry');
    create(prefix);
    const stale = vfsOn({ leaseTtlMs: 1500 }).open(prefix);
    stale.exec('INSERT INTO log VALUES (\'stale\', 1)');
    // The stale writer starts a transaction, then "pauses" past its lease.
    stale.exec('BEGIN; INSERT INTO log VALUES (\'stale\', 2)');
    await sleep(1700);
    // The new writer is on another machine (another lock table), as a lease is for.
    const fresh = vfsOn({ leaseTtlMs: 1500, s3: elsewhere(server.s3) }).open(prefix, { timeout: 3000 });
    fresh.exec('INSERT INTO log VALUES (\'fresh\', 1)');
    let err;
    try {
      stale.exec('COMMIT');
    } catch (e) {
      err = e;
    }
    expect(err).toBeDefined();
    expect(err.message).toMatch(/lease .* expired and another writer took it over|another writer changed the database/);
    // An I/O error, not SQLITE_BUSY: a COMMIT retried on BUSY after its writes were dropped
    // would "succeed" with nothing in it. SQLite rolls the transaction back.
    expect(err.code).toMatch(/^SQLITE_IOERR/);
    expect(stale.inTransaction).toBe(false);
    const rows = fresh.prepare('SELECT writer || n FROM log ORDER BY writer, n').pluck().all();
    expect(rows).toEqual(['fresh1', 'stale1']);
    expect(fresh.pragma('integrity_check', { simple: true })).toBe('ok');
    fresh.close();
    // The stale connection recovers: it reads the new state.
    expect(stale.prepare('SELECT count(*) FROM log').pluck().get()).toBe(2);
    stale.close();
  });

  test('two processes writing concurrently: no lost or phantom commit, losers see SQLITE_BUSY, readers always consistent', async () => {
    const prefix = uniquePrefix('race');
    create(prefix);
    const transactions = 150;
    const writers = ['p1', 'p2'].map((writer) => runRaceWriter({ prefix, writer, transactions, perOpen: 5 }));
    // A reader in this process during the race: each read transaction sees one commit.
    const reader = vfsOn().open(prefix, { readonly: true });
    let reads = 0;
    let last = 0;
    let done = false;
    Promise.allSettled(writers).then(() => (done = true));
    while (!done) {
      const { total, rows } = reader.transaction(() => ({
        total: Number(reader.prepare('SELECT total FROM counter').pluck().get()),
        rows: Number(reader.prepare('SELECT count(*) FROM log').pluck().get()),
      }))();
      expect(rows).toBe(total); // never a half-applied commit
      expect(total).toBeGreaterThanOrEqual(last); // a prefix of the commits, growing
      last = total;
      if (reads++ % 10 === 0) expect(reader.pragma('quick_check', { simple: true })).toBe('ok');
      await sleep(20);
    }
    const results = await Promise.all(writers);
    reader.close();
    const check = vfsOn().open(prefix);
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = /** @type {{ writer: number, n: number }[]} */ (check.prepare('SELECT writer, n FROM log').all());
    const total = check.prepare('SELECT total FROM counter').pluck().get();
    check.close();
    const acknowledged = results.flatMap((r) => r.committed.map((n) => `${r.writer}:${n}`));
    expect(rows.map((r) => `${r.writer}:${r.n}`).sort()).toEqual(acknowledged.sort());
    expect(total).toBe(acknowledged.length);
    expect(results.reduce((n, r) => n + r.busy, 0)).toBeGreaterThan(0);
    expect(results.find((r) => r.busy)?.busyMessage).toMatch(/being written by|lease|changed since/);
    expect(reads).toBeGreaterThan(5);
    console.log(`race: ${acknowledged.length} commits acknowledged of ${2 * transactions} attempted, ${results.map((r) => r.busy).join('+')} busy, ${reads} reader transactions`);
  });

  test('of two migrations at once exactly one converts; gc then runs under a writer and a reader', async () => {
    const prefix = uniquePrefix('migrate-race');
    const seed = vfsOn({ layout: 'compat', blockSize: 4096 }).open(prefix);
    seed.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) SELECT hex(zeroblob(100)) FROM (WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 500) SELECT x FROM s)`);
    seed.close();
    const reports = await Promise.all([vfsOn().migrate(prefix), vfsOn().migrate(prefix)]);
    expect(reports.map((r) => r.migrated).sort()).toEqual([false, true]);

    const writer = vfsOn().open(prefix);
    const reader = vfsOn().open(prefix, { readonly: true });
    const gc = vfsOn();
    for (let i = 1; i <= 20; i++) {
      writer.prepare('UPDATE t SET v = ? WHERE id % 20 = ?').run(`pass ${i}`, i % 20);
      if (i % 5 === 0) await gc.gc(prefix, { olderThan: 0 });
      expect(reader.prepare('SELECT count(*) FROM t WHERE v = ?').pluck().get(`pass ${i}`)).toBe(25);
    }
    expect(reader.pragma('integrity_check', { simple: true })).toBe('ok');
    reader.close();
    writer.close();
  });

  test('deserialize takes the lease: it waits for no writer, and a writer holding the lease trusts its manifest', async () => {
    const prefix = uniquePrefix('deserialize-lease');
    create(prefix);
    const bytes = [];
    const source = vfsOn();
    for await (const c of source.serialize(prefix)) bytes.push(Buffer.from(c));
    const writerVfs = vfsOn();
    const writer = writerVfs.open(prefix);
    writer.exec("INSERT INTO log VALUES ('w', 1)");
    await expect(vfsOn().deserialize(prefix, bytes)).rejects.toMatchObject({ code: 'EBUSY', message: expect.stringMatching(/being written by .*lease/) });
    // Holding the lease, the writer makes no request to begin a transaction.
    writerVfs.resetStats();
    expect(writer.prepare('SELECT count(*) FROM log').pluck().get()).toBe(1);
    expect(writerVfs.stats().get).toBe(0);
    writer.close(); // releases the lease
    await vfsOn().deserialize(prefix, bytes);
    const check = vfsOn().open(prefix);
    expect(check.prepare('SELECT count(*) FROM log').pluck().get()).toBe(0);
    check.exec("INSERT INTO log VALUES ('after', 1)"); // the lease was released by deserialize
    check.close();
  });
});
