// The package as a user gets it: `npm pack --dry-run` lists the right files; the packed
// tarball installs into a fresh project with the compiler hidden (the prebuilt binary must
// serve) and passes a smoke test in CommonJS and ESM, including its CLI; with --types, a
// consumer's `tsc --strict --noEmit` passes without esModuleInterop on TypeScript 5.x and the
// current major, for CommonJS, ESM (node16) and bundler resolution.
//
//   node scripts/package-check.js [--types] [--keep]
//
// The consumer takes this checkout's better-sqlite3 (the one built for this Node), copied
// into its node_modules before the install: better-sqlite3's own build is not under test.
// Prints "package-check: N passed, M failed" last; exits 1 when a check failed.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const types = process.argv.includes('--types');
const keep = process.argv.includes('--keep');
const npmCli = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath)
  ? [process.execPath, process.env.npm_execpath]
  : ['npm'];
const results = [];

function check(name, fn) {
  const started = Date.now();
  try {
    fn();
    results.push({ name, ok: true });
    console.log(`ok    ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL  ${name}: ${String(err.stdout || '')}${String(err.stderr || '')}${err.message}`);
  }
}

function npm(args, options = {}) {
  return execFileSync(npmCli[0], [...npmCli.slice(1), ...args], { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

// 1. What the tarball holds.
const REQUIRED = [
  'package.json', 'README.md', 'LICENSE', 'binding.d.ts', 'CMakeLists.txt', 'docs/FORMAT.md',
  'dist/index.js', 'dist/index.d.ts', 'dist/cli.js', 'dist/worker/worker-main.js',
  'install/install.js', 'install/locate-addon.js', 'native/vfs.cc', 'native/addon.cc',
];
const FORBIDDEN = /^(test|bench|scripts|\.ci|build|node_modules|\.scratch|\.s3rver-data)\//;
let tarball;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-s3vfs-package-'));

check('npm pack --dry-run lists the files a user needs, and nothing of the checkout', () => {
  const [packed] = JSON.parse(npm(['pack', '--dry-run', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }));
  const files = new Set(packed.files.map((f) => f.path));
  const prebuilt = `prebuilds/${require('../install/locate-addon').platformTag()}/s3vfs.node`;
  const missing = [...REQUIRED, prebuilt].filter((f) => !files.has(f));
  assert(missing.length === 0, `missing from the tarball: ${missing.join(', ')}`);
  const stray = [...files].filter((f) => FORBIDDEN.test(f));
  assert(stray.length === 0, `in the tarball but not for users: ${stray.join(', ')}`);
  const pkg = require('../package.json');
  for (const field of ['license', 'keywords', 'exports', 'engines', 'peerDependencies', 'bin']) assert(pkg[field], `package.json has no ${field}`);
  assert(!fs.existsSync(path.join(root, 'prebuilds')), 'postpack left prebuilds/ in the checkout');
});

check('npm pack makes a tarball', () => {
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }));
  tarball = path.join(work, packed.filename);
  assert(fs.existsSync(tarball), `no ${tarball}`);
});

// 2. A fresh project, no compiler.
const consumer = path.join(work, 'consumer');
const hidden = path.join(work, 'no-compiler');
fs.mkdirSync(consumer);
fs.mkdirSync(hidden);
for (const tool of ['cc', 'gcc', 'g++', 'c++', 'clang', 'clang++', 'make', 'cmake', 'ninja', 'python3', 'python']) {
  fs.writeFileSync(path.join(hidden, tool), `#!/bin/sh\necho "package-check: ${tool} is hidden" >&2\nexit 127\n`, { mode: 0o755 });
}
const env = { ...process.env, PATH: `${hidden}${path.delimiter}${process.env.PATH}`, npm_config_nodedir: '' };
delete env.npm_config_nodedir;

const ours = path.join(root, 'node_modules', 'better-sqlite3');
const betterVersion = require(path.join(ours, 'package.json')).version;
fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({
  name: 'consumer', version: '1.0.0', private: true, dependencies: { 'better-sqlite3': betterVersion },
}, null, 2));
fs.cpSync(ours, path.join(consumer, 'node_modules', 'better-sqlite3'), { recursive: true, dereference: true });

check(`npm install <tarball> with no compiler on PATH, better-sqlite3 ${betterVersion}, Node ${process.versions.node}`, () => {
  const log = npm(['install', '--no-audit', '--no-fund', '--foreground-scripts', tarball], { cwd: consumer, env, stdio: ['ignore', 'pipe', 'pipe'] });
  assert(/using the prebuilt binary for/.test(log), `the install did not use the prebuilt binary:\n${log}`);
  assert(!fs.existsSync(path.join(consumer, 'node_modules', 'sqlite-s3vfs', 'build')), 'the install built the addon from source');
  for (const tool of ['g++', 'cmake']) assert(!execFileSync('sh', ['-c', `command -v ${tool}`], { env, encoding: 'utf8' }).trim().startsWith('/usr'), `${tool} was not hidden`);
});

// 3. Smoke tests against an embedded S3 (this checkout's s3rver, in its own process).
const SMOKE_CJS = `
const { S3VFS, Database } = require('sqlite-s3vfs');
const BetterSqlite3 = require('better-sqlite3');
const s3 = { endpoint: process.env.ENDPOINT, region: 'us-east-1', forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
(async () => {
  const vfs = new S3VFS({ bucket: 'smoke', s3 });
  const db = new Database('shop.db', { vfs });
  if (!(db instanceof BetterSqlite3)) throw new Error('not the consumer\\'s better-sqlite3');
  db.exec(\`CREATE TABLE customer(id INTEGER PRIMARY KEY, country TEXT);
    CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER REFERENCES customer, total REAL);
    CREATE INDEX orders_customer ON orders(customer);\`);
  db.transaction(() => {
    for (let i = 1; i <= 200; i++) db.prepare('INSERT INTO customer VALUES (?, ?)').run(i, i % 2 ? 'FR' : 'DE');
    for (let i = 1; i <= 2000; i++) db.prepare('INSERT INTO orders VALUES (?, ?, ?)').run(i, 1 + (i % 200), i / 10);
  })();
  db.prepare("UPDATE orders SET total = total * 2 WHERE customer IN (SELECT id FROM customer WHERE country = 'FR')").run();
  db.close();
  await vfs.close();
  const again = new S3VFS({ bucket: 'smoke', s3 });
  const rows = again.open('shop.db', { readonly: true }).prepare(
    'SELECT c.country, count(*) AS n, round(sum(o.total), 1) AS total FROM orders o JOIN customer c ON c.id = o.customer GROUP BY c.country ORDER BY c.country').all();
  await again.close();
  console.log(JSON.stringify(rows));
})().catch((err) => { console.error(err); process.exit(1); });
`;
const SMOKE_ESM = `
import { S3VFS } from 'sqlite-s3vfs';
const s3 = { endpoint: process.env.ENDPOINT, region: 'us-east-1', forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
const vfs = new S3VFS({ bucket: 'smoke', s3 });
const db = vfs.open('shop.db', { readonly: true });
console.log(db.prepare('SELECT count(*) FROM orders').pluck().get());
db.close();
await vfs.close();
`;
// Expected from the data the CJS smoke writes: orders i → customer 1 + (i % 200), odd ids are FR.
function expectedCountries() {
  const sums = { DE: [0, 0], FR: [0, 0] };
  for (let i = 1; i <= 2000; i++) {
    const country = (1 + (i % 200)) % 2 ? 'FR' : 'DE';
    sums[country][0] += 1;
    sums[country][1] += country === 'FR' ? (i / 10) * 2 : i / 10;
  }
  return JSON.stringify(Object.entries(sums).map(([country, [n, total]]) => ({ country, n, total: Math.round(total * 10) / 10 })));
}

let server;
let endpoint;
function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(process.execPath, ['--openssl-legacy-provider', path.join(root, 'scripts', 's3rver-process.js'), 'smoke'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    });
    server.on('exit', (code) => reject(new Error(`s3rver exited (${code})`)));
  });
}

function typeChecks() {
  npm(['install', '--no-audit', '--no-fund', 'ts5@npm:typescript@~5.9', 'tsLatest@npm:typescript@latest', '@types/node'], { cwd: consumer, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const source = `import { S3VFS, Database, S3VFSError, type S3VFSOptions, type VfsStats } from 'sqlite-s3vfs';
const options: S3VFSOptions = { bucket: 'b', s3: { region: 'us-east-1' } };
const vfs = new S3VFS(options);
const db = new Database('p.db', { vfs, readonly: true });
const n: number = db.prepare('SELECT 1').pluck().get() as number;
const stats: VfsStats = vfs.stats();
void [n, stats.get, S3VFSError, vfs.open('q.db').name, vfs.serialize('p.db'), vfs.close()];
`;
  const variants = {
    'commonjs, node16': { type: 'commonjs', compilerOptions: { module: 'node16', moduleResolution: 'node16' } },
    'ESM, node16': { type: 'module', compilerOptions: { module: 'node16', moduleResolution: 'node16' } },
    'ESM, bundler': { type: 'module', compilerOptions: { module: 'esnext', moduleResolution: 'bundler' } },
  };
  for (const [tsName, ts] of [['TypeScript 5.9', 'ts5'], [`TypeScript ${require(path.join(consumer, 'node_modules', 'tsLatest', 'package.json')).version}`, 'tsLatest']]) {
    for (const [name, v] of Object.entries(variants)) {
      check(`tsc --strict --noEmit without esModuleInterop: ${tsName}, ${name}`, () => {
        const dir = path.join(consumer, `types-${ts}-${name.replace(/\W+/g, '-')}`);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: v.type }));
        fs.writeFileSync(path.join(dir, 'index.ts'), source);
        fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
          compilerOptions: { strict: true, noEmit: true, target: 'es2022', types: ['node'], ...v.compilerOptions },
          files: ['index.ts'],
        }));
        execFileSync(process.execPath, [path.join(consumer, 'node_modules', ts, 'bin', 'tsc'), '-p', dir], { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      });
    }
  }
}

(async () => {
  endpoint = await startServer();
  const run = (file, source) => {
    fs.writeFileSync(path.join(consumer, file), source);
    return execFileSync(process.execPath, [file], { cwd: consumer, env: { ...env, ENDPOINT: endpoint }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  };
  check('CommonJS: new Database(prefix, { vfs }) with the consumer\'s better-sqlite3, a join after an update, reopened', () => {
    const got = run('smoke.cjs', SMOKE_CJS);
    assert(got === expectedCountries(), `got ${got}, expected ${expectedCountries()}`);
  });
  check('ESM: import { S3VFS } from "sqlite-s3vfs", vfs.open', () => {
    const got = run('smoke.mjs', SMOKE_ESM);
    assert(got === '2000', `got ${got}`);
  });
  check('CLI: npx sqlite-s3vfs --version and a query', () => {
    const version = npm(['exec', '--', 'sqlite-s3vfs', '--version'], { cwd: consumer, env, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    assert(version === `sqlite-s3vfs ${require('../package.json').version}`, `--version said '${version}'`);
    const env2 = { ...env, S3VFS_ENDPOINT: endpoint, S3VFS_ACCESS_KEY_ID: 'S3RVER', S3VFS_SECRET_ACCESS_KEY: 'S3RVER' };
    const rows = npm(['exec', '--', 'sqlite-s3vfs', '--csv', 'query', 's3://smoke/shop.db', 'SELECT count(*) AS n FROM customer'], { cwd: consumer, env: env2, stdio: ['ignore', 'pipe', 'pipe'] });
    assert(rows.trim() === 'n\n200', `query printed '${rows}'`);
  });
  if (types) typeChecks();
})().catch((err) => {
  results.push({ name: 'package-check itself', ok: false });
  console.log(`FAIL  package-check itself: ${err.stack}`);
}).finally(() => {
  if (server) server.kill('SIGTERM');
  if (!keep) fs.rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`package-check: ${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
});
