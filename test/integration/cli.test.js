// The command line: import, query, exec, export round trip.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const BetterSqlite3 = require('better-sqlite3');
const { config, uniquePrefix, tempDir, series } = require('../support/helpers');

const cli = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const env = {
  ...process.env,
  S3VFS_BUCKET: config.bucket,
  S3VFS_ENDPOINT: config.s3.endpoint ?? '',
  S3VFS_REGION: config.s3.region,
  S3VFS_ACCESS_KEY_ID: config.s3.credentials?.accessKeyId ?? '',
  S3VFS_SECRET_ACCESS_KEY: config.s3.credentials?.secretAccessKey ?? '',
  // A disk cache of this run's own: the machine's default one may not be usable here.
  S3VFS_CACHE_DIR: tempDir(),
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
  expect(run('query', prefix, 'SELECT v FROM t ORDER BY id').trim().split('\n').map((line) => JSON.parse(line))).toEqual([{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
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
  expect(run('query', prefix, 'SELECT v FROM t ORDER BY id').trim().split('\n').map((line) => JSON.parse(line))).toEqual([{ v: 'z' }, { v: 'z' }]);
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

/** Runs the CLI; resolves to { status, stdout, stderr } whatever the exit status. */
function runAll(args, options = {}) {
  const { spawnSync } = require('node:child_process');
  const r = spawnSync(process.execPath, [cli, ...args], { env: { ...env, ...options.env }, encoding: 'utf8', input: options.input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the command line, as people use it', () => {
  const prefix = uniquePrefix('cli-people');
  beforeAll(() => {
    run('exec', prefix, "CREATE TABLE t(id INTEGER PRIMARY KEY, big INTEGER, b BLOB, s TEXT); INSERT INTO t VALUES (1, 9007199254740993, x'00ff10', 'a,\"b\"'), (2, -5, NULL, 'plain')");
  });

  test('--version, help and help <command>', () => {
    expect(run('--version')).toBe(`sqlite-s3vfs ${JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version}\n`);
    expect(run('help')).toMatch(/commands \(a database is a prefix in the bucket, or s3:\/\/bucket\/prefix\)/);
    expect(run('help', 'gc')).toMatch(/^usage: sqlite-s3vfs \[options\] gc <db>\n/);
    expect(run('help')).not.toMatch(/no bucket/);
  });

  test('mistakes get a clear message and exit code 2, with a guess at what was meant', () => {
    expect(runAll(['qurey', prefix, 'SELECT 1'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown command 'qurey' \(did you mean query\?\)/) });
    expect(runAll(['--blok-size', '4096', 'ls'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown option --blok-size \(did you mean --block-size\?\)/) });
    expect(runAll(['--block-size', '-1', 'ls'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/--block-size must be a positive whole number of bytes .*got '-1'/) });
    expect(runAll(['query', prefix])).toMatchObject({ status: 2, stderr: expect.stringMatching(/usage: sqlite-s3vfs query <db> <sql>/) });
    // An option whose value was forgotten (an empty variable in a script) before another option.
    expect(runAll(['--endpoint', '--bucket', 'b', 'ls'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/^sqlite-s3vfs: option --endpoint needs a value, but the next argument is an option/) });
  });

  test('rows: JSON lines with exact 64-bit integers and hex blobs; CSV; bound parameters', () => {
    const lines = run('query', prefix, 'SELECT * FROM t ORDER BY id').trim().split('\n');
    expect(lines[0]).toBe('{"id":1,"big":9007199254740993,"b":"0x00ff10","s":"a,\\"b\\""}');
    expect(run('--csv', 'query', prefix, 'SELECT id, s FROM t ORDER BY id')).toBe('id,s\n1,"a,""b"""\n2,plain\n');
    expect(run('--param', '2', 'query', prefix, 'SELECT s FROM t WHERE id = ?')).toBe('{"s":"plain"}\n');
  });

  test('exec runs several statements and prints the rows of those that return rows', () => {
    const out = run('exec', prefix, "INSERT INTO t(id, s) VALUES (3, 'x'); SELECT count(*) AS n FROM t; CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET s = 'trig' WHERE id = NEW.id; END; INSERT INTO t(id) VALUES (4); SELECT s FROM t WHERE id = 4");
    expect(out).toBe('{"n":3}\n{"s":"trig"}\n');
  });

  test('s3://bucket/prefix addresses, ls and info', () => {
    const env2 = { S3VFS_BUCKET: '' };
    expect(runAll(['query', `s3://${config.bucket}/${prefix}`, 'SELECT count(*) AS n FROM t'], { env: env2 })).toMatchObject({ status: 0, stdout: '{"n":4}\n' });
    const listed = run('ls', prefix.split('/')[0]).trim().split('\n').map((line) => JSON.parse(line));
    expect(listed).toContainEqual({ name: prefix, layout: 'versioned', size: expect.any(Number) });
    const info = JSON.parse(run('--json', 'info', prefix));
    expect(info).toMatchObject({ name: prefix, layout: 'versioned', pageSize: 4096, blockSize: 1048576, commit: expect.any(Number), garbage: { objects: expect.any(Number), bytes: expect.any(Number) } });
  });

  test('a failed export leaves no file, and a reader that stops early is no error', () => {
    const dir = tempDir();
    const target = path.join(dir, 'out.db');
    expect(runAll(['export', uniquePrefix('cli-none'), target]).status).toBe(1);
    expect(fs.readdirSync(dir)).toEqual([]);
    // With pipefail the pipeline's status is the CLI's: 0, and nothing on stderr.
    const { spawnSync } = require('node:child_process');
    const query = `"${process.execPath}" "${cli}" query ${prefix} "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000) SELECT i FROM c"`;
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `${query} | head -2`], { env, encoding: 'utf8' });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: '{"i":1}\n{"i":2}\n', stderr: '' });
    fs.rmSync(dir, { recursive: true });
  });

  test('shell: SQL over several lines, dot-commands, a failing statement that does not end the session', () => {
    const shellDb = uniquePrefix('cli-shell');
    const script = [
      'CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT);',
      'CREATE INDEX item_name ON item(name);',
      'CREATE TRIGGER up AFTER INSERT ON item BEGIN',
      "  UPDATE item SET name = upper(name) WHERE id = new.id;",
      'END;',
      "INSERT INTO item(name)",
      "  VALUES ('pen'), ('ink');",
      '.tables',
      '.mode csv',
      'SELECT id, name FROM item ORDER BY id;',
      'SELECT * FROM missing;',
      '.timer on',
      'SELECT count(*) AS n FROM item;',
      '.schema item%',
      '.nonsense',
      '.quit',
      'SELECT 1;',
    ].join('\n');
    const r = runAll(['shell', shellDb], { input: script });
    expect(r.status).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual(['item', 'id,name', '1,PEN', '2,INK']);
    expect(lines[4]).toBe('n');
    expect(lines[5]).toBe('2');
    expect(lines[6]).toMatch(/^Run Time: real \d+\.\d{3} s, \d+ S3 requests, \d+\.\d MB down$/);
    expect(r.stdout).toContain('CREATE TRIGGER up AFTER INSERT ON item BEGIN');
    expect(r.stdout).toContain('CREATE INDEX item_name ON item(name);');
    expect(r.stdout).not.toMatch(/^1$/m); // nothing after .quit ran
    expect(r.stderr).toMatch(/Error: no such table: missing/);
    expect(r.stderr).toMatch(/Error: unknown command \.nonsense/);
    // What the shell wrote is in the bucket.
    expect(run('--csv', 'query', shellDb, 'SELECT name FROM item ORDER BY id')).toBe('name\nPEN\nINK\n');
  });

  test('--progress: import, prefetch and export report bytes against the total, then a one-line summary', () => {
    const dir = tempDir();
    const src = path.join(dir, 'blobs.db');
    const local = new BetterSqlite3(src);
    local.exec(`CREATE TABLE b(v); INSERT INTO b SELECT randomblob(1000) FROM ${series(3000)}`);
    local.close();
    const size = fs.statSync(src).size;
    const mbText = `${(size / 1e6).toFixed(1)} MB`;
    const db = uniquePrefix('cli-progress');
    const imported = runAll(['--progress', 'import', src, db]);
    expect(imported.status).toBe(0);
    expect(imported.stderr).toContain(`import: ${mbText} of ${mbText} (100%)`);
    expect(imported.stderr).toMatch(/^done in \d+\.\d s: \d+ GET, \d+ PUT, \d+ LIST, \d+ DELETE, .* MB up$/m);
    const prefetched = runAll(['--progress', 'prefetch', db]);
    expect(JSON.parse(prefetched.stdout)).toEqual({ blocks: Math.ceil(size / (1 << 20)) });
    expect(prefetched.stderr).toContain(`prefetch: ${mbText} of ${mbText} (100%)`);
    const exported = runAll(['--progress', 'export', db, path.join(dir, 'out.db')]);
    expect(exported.stderr).toContain(`export: ${mbText} of ${mbText} (100%)`);
    expect(fs.readFileSync(path.join(dir, 'out.db')).equals(fs.readFileSync(src))).toBe(true);
    // Without a terminal and without --progress, stderr is left alone.
    expect(runAll(['prefetch', db]).stderr).toBe('');
    fs.rmSync(dir, { recursive: true });
  });
});
