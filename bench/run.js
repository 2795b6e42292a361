// npm run bench [-- --quick] [-- --latency 0,20]: the benchmark. Starts s3rver and TCP
// delay lines, and runs each workload on sqlite-s3vfs and, side by side in the same run,
// on better-sqlite3 with a local file. Prints a report; the full run writes bench/RESULTS.md, a partial one RESULTS-<groups>.md.
'use strict';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const BetterSqlite3 = require('better-sqlite3');
const { S3Client, ListObjectsV2Command, GetObjectCommand } = require('@aws-sdk/client-s3');
const { NodeHttpHandler } = require('@smithy/node-http-handler');
const http = require('node:http');
const { startLocalS3 } = require('../scripts/local-s3');
const { startDelayLine } = require('./delay-line');
const { S3VFS } = require('..');
const { shopWorkloads } = require('./shop-workloads');
const { manifestScale } = require('./manifest-scale');
const { growth } = require('./growth');
const { timeIt, timeAsync, medianPairs } = require('./timing');

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    latency: { type: 'string' },
    'block-size': { type: 'string' },
    'cache-size': { type: 'string' },
    write: { type: 'boolean' },
    only: { type: 'string' },
  },
});
const QUICK = !!opts.quick;
const ROWS = QUICK ? 100_000 : 1_000_000;
const TXN_ROWS = 10_000;
const LOOKUPS = QUICK ? 1_000 : 10_000;
const SPARSE = QUICK ? 5 : 20;
const LINK_MBPS = 80;
const LATENCIES = (opts.latency ?? '0,20').split(',').map(Number);
// --only table,shop,manifest,growth: which groups of workloads run (default: all; growth at 0 ms only).
const ONLY = opts.only?.split(',');
// The shop database's scales: about 140 MB (larger than the default 64 MiB cache) and 35 MB.
const SHOP_SCALES = QUICK ? [0.5, 0.1] : [1, 0.25];
const BLOCK_SIZE = opts['block-size'] ? Number(opts['block-size']) : undefined;
// Large enough for the whole database, so that "warm" means warm (the default is 64 MiB).
const CACHE_SIZE = opts['cache-size'] ? Number(opts['cache-size']) : 256 << 20;

const text = (i) => `row ${String(i).padStart(8, '0')} ${'abcdefghij'.repeat(9)}`; // ~100 bytes
function* randomIds(n, seed) {
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    yield 1 + (x % ROWS);
  }
}


function load(db) {
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
  const insert = db.prepare('INSERT INTO t(id, v) VALUES (?, ?)');
  const txn = db.transaction((from) => {
    for (let i = from; i < from + TXN_ROWS; i++) insert.run(i, text(i));
  });
  for (let from = 1; from <= ROWS; from += TXN_ROWS) txn(from);
}
const SCAN = 'SELECT count(*) AS n, sum(length(v)) AS bytes FROM t';
const SMALL_COMMITS = QUICK ? 50 : 200;
// Runs of each side for the warm-disk-cache rows, whose single runs are short enough to be noise.
const WARM_DISK_REPS = 5;

/** One INSERT per transaction: what a commit costs on its own. */
function smallCommits(db) {
  db.exec('CREATE TABLE IF NOT EXISTS small(id INTEGER PRIMARY KEY, v TEXT)');
  const insert = db.prepare('INSERT INTO small(v) VALUES (?)');
  for (let i = 0; i < SMALL_COMMITS; i++) insert.run(text(i));
}
function lookups(db, seed, n = LOOKUPS) {
  const get = db.prepare('SELECT v FROM t WHERE id = ?').pluck();
  for (const id of randomIds(n, seed)) if (get.get(id) !== text(id)) throw new Error(`wrong row ${id}`);
}

const rows = [];
function record(latency, workload, s3ms, localMs, stats, note = '') {
  const row = { latency, workload, s3ms, localMs, ratio: localMs ? s3ms / localMs : null, stats, note };
  rows.push(row);
  const st = stats ? `GET ${stats.get}${stats.getRange ? ` (${stats.getRange} range)` : ""} PUT ${stats.put} LIST ${stats.list} DEL ${stats.delete} ↓${mb(stats.bytesDown)} ↑${mb(stats.bytesUp)} bridge ${stats.bridgeCrossings}×/${mb(stats.bridgeBytes)}${stats.pagesWritten ? ` for ${stats.pagesWritten} pages written` : ''}` : '';
  console.log(
    `${String(latency).padStart(3)} ms  ${workload.padEnd(30)} ${fmt(s3ms).padStart(9)} ms` +
      (localMs ? `  local ${fmt(localMs).padStart(8)} ms  ×${row.ratio.toFixed(2)}` : '') + `  ${st} ${note}`,
  );
}
const mb = (n) => `${(n / 1e6).toFixed(1)}MB`;
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

async function rawGetThroughput(s3, bucket, prefix) {
  const client = new S3Client({
    ...s3,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }) }),
  });
  const keys = [];
  let token;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, ContinuationToken: token }));
    for (const o of r.Contents ?? []) keys.push(o.Key);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  let bytes = 0;
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < keys.length) {
        const key = keys[next++];
        const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const body = await r.Body.transformToByteArray();
        bytes += body.length;
      }
    }),
  );
  const ms = performance.now() - t;
  client.destroy();
  return { ms, bytes, requests: keys.length };
}

/** (a)-(g): one table of ROWS rows, loaded, scanned, looked up, copied. */
async function tableWorkloads({ latency, server, s3, mk, dir }) {
  const prefix = `bench-${Date.now()}-${latency}/t.sqlite`;
  const localFile = path.join(dir, `local-${latency}.db`);

  // (a) ETL
  const localEtl = timeIt(() => { const db = new BetterSqlite3(localFile); load(db); db.close(); });
  let vfs = mk();
  const etl = timeIt(() => { const db = vfs.open(prefix); load(db); db.close(); });
  const etlStats = vfs.stats();
  record(latency, `(a) ETL ${ROWS} rows`, etl.ms, localEtl.ms, etlStats, `PUT/commit ${(etlStats.put / (ROWS / TXN_ROWS)).toFixed(1)}`);
  await vfs.close();
  // The same load in the seed layout (Python-compatible: journal in S3, no lease).
  vfs = mk({ layout: 'compat' });
  const etlSeed = timeIt(() => { const db = vfs.open(`${prefix}-seed`); load(db); db.close(); });
  const seedStats = vfs.stats();
  record(latency, `(a) ETL ${ROWS} rows, seed layout`, etlSeed.ms, localEtl.ms, seedStats, `PUT/commit ${(seedStats.put / (ROWS / TXN_ROWS)).toFixed(1)}`);
  await vfs.close();

  // (g) small commits: one row per transaction, the default (versioned) layout and the seed's
  const localSmall = timeIt(() => { const l = new BetterSqlite3(localFile); smallCommits(l); l.close(); });
  for (const layout of ['versioned', 'compat']) {
    vfs = mk({ layout });
    const sdb = vfs.open(`${prefix}-small-${layout}`);
    sdb.exec('CREATE TABLE small(id INTEGER PRIMARY KEY, v TEXT)');
    vfs.resetStats();
    const small = timeIt(() => smallCommits(sdb));
    const st = vfs.stats();
    const per = (n) => (n / SMALL_COMMITS).toFixed(1);
    record(latency, `(g) ${SMALL_COMMITS} one-row commits, ${layout === 'compat' ? 'seed' : 'versioned'}`, small.ms, localSmall.ms, st,
      `${fmt(small.ms / SMALL_COMMITS)} ms/commit; per commit GET ${per(st.get)} PUT ${per(st.put)} DELETE ${per(st.delete)}`);
    sdb.close();
    await vfs.close();
  }

  // (b) scan, cold (new VFS) then warm, then a new VFS on the first one's disk cache
  const localScan = timeIt(() => { const db = new BetterSqlite3(localFile, { readonly: true }); db.prepare(SCAN).get(); db.close(); });
  const scanDisk = fs.mkdtempSync(path.join(dir, 'disk-'));
  vfs = mk({ cacheDir: scanDisk });
  const db = vfs.open(prefix, { readonly: true });
  const cold = timeIt(() => db.prepare(SCAN).get());
  record(latency, '(b) full scan, cold', cold.ms, localScan.ms, vfs.stats());
  vfs.resetStats();
  const localWarm = (() => { const l = new BetterSqlite3(localFile, { readonly: true }); l.prepare(SCAN).get(); const r = timeIt(() => l.prepare(SCAN).get()); l.close(); return r; })();
  const warm = timeIt(() => db.prepare(SCAN).get());
  record(latency, '(b) full scan, warm', warm.ms, localWarm.ms, vfs.stats());
  db.close();
  await vfs.close();
  const diskScan = await medianPairs(
    WARM_DISK_REPS,
    () => timeIt(() => { const l = new BetterSqlite3(localFile, { readonly: true }); l.prepare(SCAN).get(); l.close(); }).ms,
    async () => {
      const v = mk({ cacheDir: scanDisk });
      const d = v.open(prefix, { readonly: true });
      const t = timeIt(() => d.prepare(SCAN).get());
      const stats = v.stats();
      d.close();
      await v.close();
      return { ms: t.ms, stats };
    },
  );
  record(latency, '(b) full scan, new VFS, warm disk cache', diskScan.ms, diskScan.localMs, diskScan.stats, `median of ${WARM_DISK_REPS} runs each, side by side`);

  // (c) point lookups, exclusive locking on both sides, cold then warm
  const ldb = new BetterSqlite3(localFile, { readonly: true });
  ldb.pragma('locking_mode = EXCLUSIVE');
  const localLook = timeIt(() => lookups(ldb, 7));
  const localLookWarm = timeIt(() => lookups(ldb, 7));
  ldb.close();
  const lookDisk = fs.mkdtempSync(path.join(dir, 'disk-'));
  vfs = mk({ cacheDir: lookDisk });
  const ldbS3 = vfs.open(prefix, { readonly: true });
  ldbS3.pragma('locking_mode = EXCLUSIVE');
  const lookCold = timeIt(() => lookups(ldbS3, 7));
  record(latency, `(c) ${LOOKUPS} lookups, cold`, lookCold.ms, localLook.ms, vfs.stats());
  vfs.resetStats();
  const lookWarm = timeIt(() => lookups(ldbS3, 7));
  record(latency, `(c) ${LOOKUPS} lookups, warm`, lookWarm.ms, localLookWarm.ms, vfs.stats());
  ldbS3.close();
  {
    const lookDiskWarm = await medianPairs(
      WARM_DISK_REPS,
      () => { const l = new BetterSqlite3(localFile, { readonly: true }); l.pragma('locking_mode = EXCLUSIVE'); const t = timeIt(() => lookups(l, 7)); l.close(); return t.ms; },
      async () => {
        const disk = mk({ cacheDir: lookDisk });
        const d = disk.open(prefix, { readonly: true });
        d.pragma('locking_mode = EXCLUSIVE');
        const t = timeIt(() => lookups(d, 7));
        const stats = disk.stats();
        d.close();
        await disk.close();
        return { ms: t.ms, stats };
      },
    );
    record(latency, `(c) ${LOOKUPS} lookups, new VFS, warm disk cache`, lookDiskWarm.ms, lookDiskWarm.localMs, lookDiskWarm.stats, `median of ${WARM_DISK_REPS} runs each, side by side`);
  }

  // (d) serialize and deserialize
  vfs.resetStats();
  const size = fs.statSync(localFile).size;
  const localCopy = timeIt(() => fs.copyFileSync(localFile, `${localFile}.copy`));
  const ser = await timeAsync(async () => { let n = 0; for await (const c of vfs.serialize(prefix)) n += c.length; return n; });
  record(latency, `(d) serialize ${mb(ser.out)}`, ser.ms, localCopy.ms, vfs.stats(), `${(ser.out / 1e6 / (ser.ms / 1000)).toFixed(0)} MB/s`);
  vfs.resetStats();
  const des = await timeAsync(() => vfs.deserialize(`${prefix}-copy`, fs.createReadStream(localFile, { highWaterMark: 1 << 20 })));
  record(latency, `(d) deserialize ${mb(size)}`, des.ms, localCopy.ms, vfs.stats(), `${(size / 1e6 / (des.ms / 1000)).toFixed(0)} MB/s`);
  await vfs.close();

  // (e) the physical limit: parallel GETs of the same blocks with the SDK
  const raw = await rawGetThroughput(s3, server.bucket, prefix);
  record(latency, '(e) raw parallel GET (64)', raw.ms, null, null, `${raw.requests} GETs, ${(raw.bytes / 1e6 / (raw.ms / 1000)).toFixed(0)} MB/s`);

  // (f) sparse reads: a few lookups in a cold cache, with range GETs and without, on a
  // line that also limits each connection to LINK_MBPS as real S3 does
  const slow = server.external ? null : await startDelayLine(server.port, latency, LINK_MBPS);
  const s3slow = slow ? { ...server.s3, endpoint: `http://127.0.0.1:${slow.port}` } : server.s3;
  const sdb = new BetterSqlite3(localFile, { readonly: true });
  const localSparse = timeIt(() => lookups(sdb, 11, SPARSE));
  sdb.close();
  for (const [label, rangeReadSize] of [['range GETs (default)', undefined], ['whole blocks', 0]]) {
    vfs = mk({ s3: s3slow, rangeReadSize });
    const fdb = vfs.open(prefix, { readonly: true });
    fdb.pragma('locking_mode = EXCLUSIVE');
    vfs.resetStats();
    const sparse = timeIt(() => lookups(fdb, 11, SPARSE));
    record(latency, `(f) ${SPARSE} lookups, cold, ${label}`, sparse.ms, localSparse.ms, vfs.stats(), `${LINK_MBPS} MB/s per connection`);
    fdb.close();
    await vfs.close();
  }
  await slow?.close();
}

async function main() {
  const server = await startLocalS3({ buckets: ['s3vfs-bench'] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3vfs-bench-'));
  const started = new Date();
  try {
    for (const latency of LATENCIES) {
      const line = latency > 0 && !server.external ? await startDelayLine(server.port, latency) : null;
      const s3 = line ? { ...server.s3, endpoint: `http://127.0.0.1:${line.port}` } : server.s3;
      // Each VFS starts with a disk cache of its own, empty: "cold" means nothing on this
      // machine either. The "warm disk" rows hand a new VFS the directory of an earlier one.
      const mk = (o = {}) => new S3VFS({ bucket: server.bucket, s3, blockSize: BLOCK_SIZE, cacheSize: CACHE_SIZE, cacheDir: fs.mkdtempSync(path.join(dir, 'disk-')), ...o });
      if (!ONLY || ONLY.includes('table')) await tableWorkloads({ latency, server, s3, mk, dir });
      if (!ONLY || ONLY.includes('shop')) await shopWorkloads({ latency, bucket: server.bucket, s3, dir, scales: SHOP_SCALES, record });
      if (!ONLY || ONLY.includes('manifest')) await manifestScale({ latency, bucket: server.bucket, s3, dir, record });
      if ((!ONLY && latency === 0) || ONLY?.includes('growth')) await growth({ latency, bucket: server.bucket, s3, dir, record });
      await line?.close();
    }
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (!QUICK || opts.write) writeResults(started);
}

/** The issue's targets, each with what this run reached. */
function targetLines() {
  const find = (latency, prefix) => rows.find((r) => r.latency === latency && r.workload.startsWith(prefix));
  const out = ['## Targets', '', '| target | reached | met |', '|---|---|---|'];
  const add = (target, reached, met) => out.push(`| ${target} | ${reached} | ${met ? 'yes' : '**no**'} |`);
  for (const latency of LATENCIES) {
    const etl = find(latency, '(a)');
    const limit = latency === 0 ? 2 : 5;
    if (etl) add(`(a) ETL at ${latency} ms ≤ ${limit}× local`, `${etl.ratio.toFixed(2)}×, ${etl.note}`, etl.ratio <= limit);
    const cold = find(latency, '(b) full scan, cold');
    const raw = find(latency, '(e)');
    const ser = find(latency, '(d) serialize');
    if (cold && raw && ser) {
      const bytes = Number(/([\d.]+)MB/.exec(ser.workload)[1]);
      const scanMBs = bytes / (cold.s3ms / 1000);
      const rawMBs = Number(/([\d.]+) MB\/s/.exec(raw.note)[1]);
      add(`(b) cold scan at ${latency} ms ≥ 50 % of (e)`, `${scanMBs.toFixed(0)} MB/s of ${rawMBs} MB/s (${((100 * scanMBs) / rawMBs).toFixed(0)} %)`, scanMBs >= rawMBs / 2);
    }
    const warm = find(latency, '(b) full scan, warm');
    if (warm) add(`(b) warm scan at ${latency} ms ≤ 1.2× local`, `${warm.ratio.toFixed(2)}×`, warm.ratio <= 1.2);
    const lw = find(latency, '(c)') && rows.find((r) => r.latency === latency && /\(c\).*warm/.test(r.workload));
    if (lw) add(`(c) warm lookups at ${latency} ms ≤ 1.3× local`, `${lw.ratio.toFixed(2)}×`, lw.ratio <= 1.3);
    const lc = rows.find((r) => r.latency === latency && /\(c\).*cold/.test(r.workload));
    if (lc) add(`(c) cold lookups at ${latency} ms: GETs, no LIST after open`, `${lc.stats.get} GETs for ${LOOKUPS} lookups, ${lc.stats.list} LIST (the open's)`, lc.stats.list <= 3);
  }
  for (const latency of LATENCIES.filter((l) => l > 0)) {
    // Each request crosses the delay line once, so what the latency adds to a commit,
    // over the same commit at 0 ms, counts its sequential round trips.
    const g = (lat, layout) => rows.find((r) => r.latency === lat && r.workload.startsWith('(g)') && r.workload.endsWith(layout));
    const [v, seed, v0, seed0] = [g(latency, 'versioned'), g(latency, 'seed'), g(0, 'versioned'), g(0, 'seed')];
    if (v && seed && v0 && seed0) {
      const trips = (r, r0) => (r.s3ms - r0.s3ms) / SMALL_COMMITS / latency;
      const per = (r, k) => r.stats[k] / SMALL_COMMITS;
      add(`(g) small commit at ${latency} ms: ≤ 2 sequential round trips, no GET/LIST/DELETE (versioned)`,
        `${trips(v, v0).toFixed(2)} round trips of added latency per commit (seed layout: ${trips(seed, seed0).toFixed(2)}); ${v.note}`,
        trips(v, v0) < 3 && per(v, 'get') === 0 && per(v, 'list') === 0 && per(v, 'delete') === 0);
    }
  }
  // Issue 11's goals, on the shop database larger than the default cache (140 MB).
  const shop = (latency, re) => rows.find((r) => r.latency === latency && r.workload.includes('shop 142 MB') && re.test(r.workload));
  for (const latency of LATENCIES) {
    const limit = latency === 0 ? 3 : 5;
    const join = shop(latency, /\(i\)/);
    if (join) add(`(i) cold join at ${latency} ms ≤ ${limit}× local, ≤ 1.5× the database downloaded`, `${join.ratio.toFixed(2)}×, ${(join.stats.bytesDown / 1e6).toFixed(0)} MB down for 142 MB`, join.ratio <= limit && join.stats.bytesDown <= 1.5 * 142e6);
    const again = shop(latency, /\(j\).*again/);
    if (again) add(`(j) autocommit lookups, maxStalenessMs 1000, at ${latency} ms ≤ 1.5× local`, `${again.ratio.toFixed(2)}× (a new VFS on the warm disk cache: ${shop(latency, /\(j\).*new VFS/)?.ratio.toFixed(2)}×)`, again.ratio <= 1.5);
    if (latency === 0) {
      for (const [re, what] of [[/\(h\)/, 'bulk UPDATE'], [/\(l\)/, 'bulk DELETE'], [/\(k\)/, 'CREATE INDEX']]) {
        const r = shop(0, re);
        if (r) add(`${what} at 0 ms ≤ 3× local`, `${r.ratio.toFixed(2)}×`, r.ratio <= 3);
      }
    }
    for (const prefix of ['(b) full scan, new VFS', '(c) 10000 lookups, new VFS', '(c) 1000 lookups, new VFS']) {
      const r = find(latency, prefix);
      // The manifest's GETs only: the open's, and one per read transaction (strict).
      if (r) add(`${prefix}, warm disk cache, at ${latency} ms ≤ 1.3× local, no block downloaded`, `${r.ratio.toFixed(2)}×, ${r.stats.get} GETs, ${(r.stats.bytesDown / 1e6).toFixed(1)} MB down`, r.ratio <= 1.3 && r.stats.bytesDown < 1e6);
    }
    const etl = find(latency, '(a) ETL 1000000 rows') ?? find(latency, '(a)');
    const etlLimit = latency === 0 ? 1.5 : 3;
    if (etl) add(`(a) 1M-row load at ${latency} ms ≤ ${etlLimit}× local (issue 11)`, `${etl.ratio.toFixed(2)}×, ${(etl.stats.bytesUp / 1e6).toFixed(0)} MB up`, etl.ratio <= etlLimit);
  }
  const big = rows.find((r) => r.workload.startsWith('(p)') && r.workload.includes('10 GiB'));
  if (big) {
    const kib = Number(/([\d.]+) KiB up per commit/.exec(big.note)?.[1]);
    add('(p) one-row commit on a 10 GiB database ≤ 64 KiB up', `${kib} KiB, ${(big.stats.put / 20).toFixed(2)} PUTs per commit (the lease\'s first acquisition included)`, kib <= 64);
  }
  const lists = rows.filter((r) => r.stats && !r.workload.startsWith('(d)')).map((r) => r.stats.list);
  add('no LIST after open in any workload', `LIST per workload: ${lists.join(', ')} (each open lists the database, its journal and the WAL name: ≤ 3)`, lists.every((n) => n <= 3));
  return out;
}

function writeResults(started) {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const cmd = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const lines = [
    '# Benchmark results',
    '',
    `Command: \`${cmd}\`. Date: ${started.toISOString()}. Machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `Node ${process.version}, ${os.type()} ${os.release()}. S3 server: s3rver on loopback, latency added by a TCP delay line. ` +
      `Table workloads (a)-(g): block size ${BLOCK_SIZE ?? 'default (1 MiB)'}; cacheSize ${CACHE_SIZE / 2 ** 20} MiB; rows: ${ROWS} in transactions of ${TXN_ROWS}; lookups: ${LOOKUPS}. ` +
      'Shop workloads (h)-(o): default options (cacheSize 64 MiB, smaller than the larger database), each database new to the VFS and to the disk cache; (o) is the append of (m) in the seed (Python) layout. ' +
      '(p): one-row commits on the 35 MB shop database and on copies whose header and manifest make it 1, 10 and 100 GiB (bench/manifest-scale.js; \'up per commit\' is the patch object and the manifest root). ' +
      '(q): growth with the database (shop at 35 MB, 140 MB, 1 GB) and with cacheSize (bench/growth.js); in a full run at 0 ms only.',
    '',
    'Ratios are sqlite-s3vfs time / better-sqlite3 time on a local file, measured side by side in this run (the machine is shared and noisy).',
    'Both sides use better-sqlite3 defaults (journal_mode DELETE, synchronous FULL); (c) uses locking_mode=EXCLUSIVE on both sides.',
    '(e) is the same server read with 64 parallel SDK GETs of the database\'s objects: the physical limit for (b) and (d).',
    'How the default block size was chosen: [BLOCK-SIZE.md](BLOCK-SIZE.md). (f) runs on a delay line that also limits each connection to ' + LINK_MBPS + ' MB/s, as one S3 connection is limited; it compares range GETs with whole-block GETs.',
    '',
    ...targetLines(),
    '',
    '## All measurements',
    '',
    '| latency | workload | s3vfs ms | local ms | ratio | GET | PUT | LIST | DELETE | MB down | MB up | bridge crossings | bridge MB | pages written | note |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.latency} ms | ${r.workload} | ${fmt(r.s3ms)} | ${r.localMs ? fmt(r.localMs) : ''} | ${r.ratio ? r.ratio.toFixed(2) : ''} | ` +
      (r.stats ? `${r.stats.get}${r.stats.getRange ? ` (${r.stats.getRange} range)` : ""} | ${r.stats.put} | ${r.stats.list} | ${r.stats.delete} | ${(r.stats.bytesDown / 1e6).toFixed(1)} | ${(r.stats.bytesUp / 1e6).toFixed(1)} | ${r.stats.bridgeCrossings} | ${(r.stats.bridgeBytes / 1e6).toFixed(1)} | ${r.stats.pagesWritten}` : ' | | | | | | | | ') +
      ` | ${r.note} |`),
    '',
  ];
  // A partial run (--only, --quick) must not overwrite the full run's results.
  const out = ONLY || QUICK ? `RESULTS-${[...(ONLY ?? []), ...(QUICK ? ['quick'] : [])].join('-')}.md` : 'RESULTS.md';
  fs.writeFileSync(path.join(__dirname, out), lines.join('\n'));
  console.log(`wrote bench/${out}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
