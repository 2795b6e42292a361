// The command line: import, query, exec, export round trip.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const BetterSqlite3 = require('better-sqlite3');
const { config, uniquePrefix, tempDir } = require('./support/helpers');

const cli = path.join(__dirname, '..', 'dist', 'cli.js');
const env = {
  ...process.env,
  S3VFS_BUCKET: config.bucket,
  S3VFS_ENDPOINT: config.s3.endpoint ?? '',
  S3VFS_REGION: config.s3.region,
  S3VFS_ACCESS_KEY_ID: config.s3.credentials?.accessKeyId ?? '',
  S3VFS_SECRET_ACCESS_KEY: config.s3.credentials?.secretAccessKey ?? '',
};
const run = (...args) => execFileSync(process.execPath, [cli, ...args], { env, encoding: 'utf8' });

test('import, exec, query and export a database', () => {
  const dir = tempDir();
  const src = path.join(dir, 'src.db');
  const db = new BetterSqlite3(src);
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('a'), ('b')");
  db.close();
  const prefix = uniquePrefix('cli');
  run('import', src, prefix);
  run('exec', prefix, "INSERT INTO t(v) VALUES ('c')");
  expect(run('query', prefix, 'SELECT v FROM t ORDER BY id').trim().split('\n').map(JSON.parse)).toEqual([{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
  const out = path.join(dir, 'out.db');
  run('export', prefix, out);
  const copy = new BetterSqlite3(out, { readonly: true });
  expect(copy.prepare('SELECT count(*) FROM t').pluck().get()).toBe(3);
  copy.close();
  fs.rmSync(dir, { recursive: true });
});

test('migrate and gc from the command line', () => {
  const dir = tempDir();
  const src = path.join(dir, 'src.db');
  const db = new BetterSqlite3(src);
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('a'), ('b')");
  db.close();
  const prefix = uniquePrefix('cli-migrate');
  run('--layout', 'compat', '--block-size', '4096', 'import', src, prefix);
  expect(JSON.parse(run('migrate', prefix))).toEqual({ migrated: true, size: 8192, blocks: 2 });
  run('exec', prefix, "UPDATE t SET v = 'z'");
  expect(JSON.parse(run('gc', prefix, '--older-than', '0'))).toMatchObject({ deleted: 2, waiting: 0, commit: 1 }); // block 0 (its header) and block 1
  expect(run('query', prefix, 'SELECT v FROM t ORDER BY id').trim().split('\n').map(JSON.parse)).toEqual([{ v: 'z' }, { v: 'z' }]);
  expect(() => execFileSync(process.execPath, [cli, 'gc', prefix, '--older-than', 'soon'], { env, encoding: 'utf8', stdio: 'pipe' })).toThrow(
    /--older-than wants a duration such as 30s/,
  );
  fs.rmSync(dir, { recursive: true });
});

test('a missing bucket option is named', () => {
  let error;
  try {
    execFileSync(process.execPath, [cli, 'query', 'x', 'SELECT 1'], { env: { ...env, S3VFS_BUCKET: '' }, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    error = e;
  }
  expect(error.status).toBe(2);
  expect(error.stderr).toMatch(/no bucket/);
});
