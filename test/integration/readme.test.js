// The README's code runs as written: each JavaScript block in a process of its own (its
// S3VFS pointed at the test server), each command of the command-line block in order, and
// the error message it shows is the one the library gives.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const BetterSqlite3 = require('better-sqlite3');
const { config, makeVfs, closeAll, tempDir, RUN } = require('../support/helpers');

const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2] }));
const dir = tempDir();
afterAll(async () => {
  await closeAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The README's names, moved under this run's prefix. */
const local = (code) => code.replace(/(['"])(reports|legacy)\//g, `$1${RUN}/$2/`);

test("the README's option table gives each option the default lib/options.ts has", () => {
  const { OPTION_DEFAULTS, describeDefault } = require('../../dist/options');
  const section = readme.slice(readme.indexOf('### `new S3VFS(options)`'), readme.indexOf('### `vfs.open('));
  const rows = new Map([...section.matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)].map((m) => [m[1], m[2].trim().replace(/`/g, '')]));
  for (const [option, value] of Object.entries(OPTION_DEFAULTS)) expect({ option, readme: rows.get(option) }).toEqual({ option, readme: describeDefault(value) });
});

test('the README has the blocks this test runs', () => {
  expect(blocks.filter((b) => b.lang === 'js').length).toBeGreaterThanOrEqual(2);
  expect(blocks.some((b) => b.lang === 'sh' && b.code.includes('npx sqlite-s3vfs'))).toBe(true);
});

test.each(blocks.filter((b) => b.lang === 'json').map((b, i) => /** @type {[number, string]} */ ([i + 1, b.code])))('JSON block %i parses, and names only real packages', (i, code) => {
  const value = JSON.parse(code);
  for (const name of Object.keys(value.allowScripts ?? {})) expect(['sqlite-s3vfs', 'better-sqlite3']).toContain(name);
});

describe('JavaScript blocks', () => {
  const shim = path.join(__dirname, '..', 'support', 'readme-shim.js');
  test.each(blocks.filter((b) => b.lang === 'js').map((b, i) => /** @type {[number, string]} */ ([i + 1, b.code])))('block %i runs', (i, code) => {
    // A block that uses a `vfs` it does not make gets one, as the text around it assumes.
    const prelude = /\bvfs\b/.test(code) && !/\bconst vfs\b/.test(code) ? "const vfs = new (require('sqlite-s3vfs').S3VFS)({ bucket: 'my-bucket' });\n" : '';
    const file = path.join(dir, `block-${i}.js`);
    fs.writeFileSync(file, (prelude + local(code)).replace(/require\('sqlite-s3vfs'\)/g, `require(${JSON.stringify(shim)})`));
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });
});

test('the command-line block runs, command by command', () => {
  const block = blocks.find((b) => b.lang === 'sh' && b.code.includes('npx sqlite-s3vfs'));
  const lines = block.code.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l.startsWith('npx sqlite-s3vfs'));
  // What the commands expect to find: a local SQLite file with a table t, and a database of
  // the Python library's layout to migrate.
  const db = new BetterSqlite3(path.join(dir, 'local.db'));
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('a'), ('b')");
  db.close();
  const legacy = makeVfs({ layout: 'compat', blockSize: 4096 }).open(`${RUN}/legacy/python.sqlite`);
  legacy.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
  legacy.close();
  const cli = path.join(__dirname, '..', '..', 'dist', 'cli.js');
  const env = {
    ...process.env,
    S3VFS_ENDPOINT: config.s3.endpoint ?? '',
    S3VFS_REGION: config.s3.region,
    S3VFS_ACCESS_KEY_ID: config.s3.credentials?.accessKeyId ?? '',
    S3VFS_SECRET_ACCESS_KEY: config.s3.credentials?.secretAccessKey ?? '',
    S3VFS_CACHE_DIR: dir,
  };
  for (const line of lines) {
    const args = local(line.replace('npx sqlite-s3vfs ', '').replace(/my-bucket/g, config.bucket))
      .match(/'[^']*'|\S+/g)
      .map((a) => a.replace(/^'|'$/g, '').replace(/s3:\/\/([^/]+)\/(reports|legacy)\//, `s3://$1/${RUN}/$2/`));
    const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, env, encoding: 'utf8' });
    expect({ line, status: r.status, stderr: r.stderr }).toEqual({ line, status: 0, stderr: expect.not.stringMatching(/Error|error:/) });
  }
});

test('the error message the README shows is the one a missing bucket gives', () => {
  const shown = blocks.find((b) => b.code.startsWith('SqliteError: unable to open database file: NoSuchBucket')).code.trim();
  const vfs = makeVfs({ bucket: 'my-bucket' });
  let error;
  try {
    vfs.open('reports/2026.sqlite');
  } catch (err) {
    error = err;
  }
  expect(`SqliteError: ${error.message}`).toBe(shown);
});
