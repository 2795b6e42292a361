// Database names (key prefixes): a name that could reach another key than it looks is
// refused with a TypeError that names the rule, at every entry point; for every name that
// is accepted, no request leaves the database's keys (checked on the raw paths a proxy in
// its own process sees), and names SQLite makes up (ATTACH, VACUUM INTO) meet the rules too.
const { config, makeVfs, RUN, useFaultProxy } = require('../support/helpers');
const { Database } = require('../..');

const proxy = useFaultProxy('the prefix tests');

/** @type {[string, RegExp][]} */
const refused = [
  ['../OTHERBUCKET/db', /'\.\.' segment/],
  ['d/tenantA/../tenantB/db', /'\.\.' segment/],
  ['a/./b', /'\.' segment/],
  ['./a', /'\.' segment/],
  ['a/..', /'\.\.' segment/],
  ['a//b', /empty segment/],
  ['/a', /starts with '\/'/],
  ['a/', /must not end with '\/'/],
  ['x\u0000y', /control character/],
  ['x\ny', /control character/],
  ['x\u007fy', /control character/],
  ['', /not a key prefix/],
  [' a', /white space/],
  ['a'.repeat(901), /longer than 900 bytes/],
];

test.each(refused)('%j is refused everywhere with a TypeError that names the rule', async (prefix, rule) => {
  const vfs = makeVfs();
  expect(() => vfs.open(prefix)).toThrow(rule);
  expect(() => vfs.open(prefix)).toThrow(TypeError);
  expect(() => new Database(prefix, { vfs })).toThrow(rule);
  expect(() => vfs.serialize(prefix)).toThrow(rule);
  await expect(vfs.deserialize(prefix, [])).rejects.toThrow(rule);
  await expect(vfs.gc(prefix)).rejects.toThrow(rule);
  await expect(vfs.migrate(prefix)).rejects.toThrow(rule);
  await expect(vfs.prefetch(prefix)).rejects.toThrow(rule);
});

const accepted = ['a b/c', 'tenant/ü-ö.db', 'a%2F..%2Fb', 'a+b?c=d#e', "it's:here", '.../x', 'a/...', '..x/y..', 'UPPER/lower.sqlite'];

describe.each(['versioned', 'compat'])('%s layout', (layout) => {
  test.each(accepted)('%j: every request stays under the database\'s keys', async (name) => {
    const prefix = `${RUN}/${layout}/${name}`;
    await proxy.reset();
    const vfs = makeVfs({ layout, blockSize: 4096, s3: proxy.s3 });
    const db = vfs.open(prefix);
    db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)');
    db.exec('BEGIN; UPDATE t SET x = x + 1; COMMIT');
    expect(db.prepare('SELECT sum(x) FROM t').pluck().get()).toBe(5);
    db.close();
    await vfs.deserialize(prefix, [Buffer.concat(await collectAll(vfs.serialize(prefix)))]);
    if (layout === 'versioned') await vfs.gc(prefix, { olderThan: 0 });
    const log = await proxy.log();
    expect(log.length).toBeGreaterThan(3);
    // Object requests name the database's keys; bucket requests (LIST, DeleteObjects) too.
    // The database's own keys, and in the seed layout those of its journal (and WAL name).
    const ours = (key) => key.startsWith(`${prefix}/`) || key.startsWith(`${prefix}-journal/`) || key.startsWith(`${prefix}-wal/`);
    const keysOf = (e) => {
      if (e.key !== `${config.bucket}/`) return [e.key.startsWith(`${config.bucket}/`) ? e.key.slice(config.bucket.length + 1) : `(another bucket) ${e.key}`];
      if (e.deletes) return e.deletes;
      return [new URLSearchParams(e.query).get('prefix') ?? `(a LIST of the whole bucket) ${e.query}`];
    };
    const outside = log.flatMap((e) => keysOf(e).filter((k) => !ours(k)).map((k) => `${e.method} ${k}`));
    expect(outside).toEqual([]);
  });
});

test('files SQLite names itself meet the rules: ATTACH and VACUUM INTO a path are refused with the rule', () => {
  const vfs = makeVfs({ layout: 'versioned' });
  const db = vfs.open(`${RUN}/attach-host`);
  db.exec('CREATE TABLE t(x)');
  expect(() => db.exec("ATTACH '/tmp/x.db' AS other")).toThrow(/starts with '\/'/);
  expect(() => db.exec("VACUUM INTO 'a//b.db'")).toThrow(/empty segment/);
  db.exec(`ATTACH '${RUN}/attached.db' AS other`); // a valid name is another database in the bucket
  db.exec('CREATE TABLE other.u(y); INSERT INTO other.u VALUES (7)');
  expect(db.prepare('SELECT y FROM other.u').pluck().get()).toBe(7);
  db.close();
});

async function collectAll(readable) {
  const parts = [];
  for await (const c of readable) parts.push(Buffer.from(c));
  return parts;
}

