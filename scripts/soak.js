// The long run behind issue 4's targets, too long for CI: `npm run soak`.
//
// Crash points: random scenarios (layout, journal mode, synchronous, block size, caches,
// 2-4 transactions of inserts, updates, deletes, VACUUM; in half of them, faults: every
// n-th bucket-changing request answered 500, or applied with its answer lost). Each scenario runs once whole
// to learn its states and its kill points (each request that changes the bucket, named by
// what it does: test/support/counting-proxy.js); then, for every kill point, the database
// is restored, a writer is started and killed (SIGKILL) as that request arrives, and the
// database is opened afresh: integrity_check must be ok, its state must
// be one the scenario passes through, and no transaction the writer saw COMMIT return
// for may be missing. Needs the local s3rver (behind a counting proxy).
//
// Racing transactions: writer processes race on one database on Ceph radosgw (which
// honours conditional writes) while this process reads; every acknowledged transaction
// must be there, no other, and every read transaction must see a whole commit.
//
// usage: node scripts/soak.js [--crash 1000] [--race 1200] [--writers 3] [--lanes 2] [--seed 1]
'use strict';
// The AWS SDK warns once per process on a Node it will stop supporting; the soak starts
// thousands of writer processes (they inherit this), and the report would drown in them.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { spawn } = require('node:child_process');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { S3VFS } = require('..');
const { startLocalS3 } = require('./local-s3');
const { startRadosgw } = require('./local-radosgw');
const { hashOf } = require('./soak-hash');
const { startCountingProxy, runKilledAt, assertKilledAt, restoreDatabase } = require('../test/support/counting-proxy');

const { values: opt } = parseArgs({
  options: {
    crash: { type: 'string', default: '1000' },
    race: { type: 'string', default: '1200' },
    writers: { type: 'string', default: '3' },
    lanes: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
  },
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A small seeded PRNG (mulberry32), so that a seed names a set of scenarios. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function scenarioOf(seed) {
  const r = random(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const layout = r() < 0.75 ? 'versioned' : 'compat';
  // A memory journal is not crash-safe in the seed layout (nor on a local disk).
  const journalMode = pick(layout === 'versioned' ? ['DELETE', 'TRUNCATE', 'PERSIST', 'MEMORY'] : ['DELETE', 'TRUNCATE', 'PERSIST']);
  const steps = Array.from({ length: int(2, 4) }, () => {
    const x = r();
    if (x < 0.35) return { kind: 'insert', rows: int(20, 400), len: int(20, 300) };
    if (x < 0.7) return { kind: 'update', mod: int(2, 9), rem: int(0, 1), len: int(10, 300) };
    if (x < 0.9) return { kind: 'delete', mod: int(3, 9), rem: int(0, 2) };
    return { kind: 'vacuum' };
  });
  return {
    seed,
    layout,
    journalMode,
    synchronous: pick(['FULL', 'NORMAL', 'OFF']),
    blockSize: pick([4096, 16384, 65536]),
    cacheSize: pick([64 * 1024, 8 << 20]), // a small cache spills blocks mid-transaction
    pageCache: pick([16, 2000]),
    baseRows: int(100, 800),
    steps,
    // Every n-th request that changes the bucket gets a 500 (retried) or loses its answer
    // after S3 applied it (the writer must find that out), in every run of the scenario.
    faults: r() < 0.5 ? { every: int(3, 7), action: pick(['lose', 'error']) } : null,
  };
}

async function runWriter(proxy, s3, bucket, prefix, scenario, killAt = null) {
  const r = await runKilledAt(proxy, path.join(__dirname, 'soak-writer.js'), { bucket, s3, prefix, scenario }, killAt, scenario.faults);
  return { ...r, acks: [...r.out.matchAll(/^ACK (\d+) ([0-9a-f]+)$/gm)].map((m) => m[2]) };
}

/** Opens the database with a new VFS, as a process starting after the crash would. */
async function inspect(server, prefix, scenario) {
  const vfs = new S3VFS({ bucket: server.bucket, s3: server.s3, blockSize: scenario.blockSize, layout: scenario.layout });
  try {
    const db = vfs.open(prefix, { readonly: scenario.layout === 'versioned' });
    const integrity = db.pragma('integrity_check', { simple: true });
    const hash = hashOf(db);
    db.close();
    return { integrity, hash };
  } catch (err) {
    return { integrity: `cannot read: ${err.message}`, hash: '' };
  } finally {
    await vfs.close();
  }
}

async function crashScenario(server, proxy, seed, tally) {
  const scenario = scenarioOf(seed);
  const prefix = `soak-${Date.now().toString(36)}/crash-${seed}.db`;
  const vfs = new S3VFS({ bucket: server.bucket, s3: server.s3, blockSize: scenario.blockSize, layout: scenario.layout });
  const db = vfs.open(prefix);
  db.exec(`CREATE TABLE meta(step INTEGER); INSERT INTO meta VALUES (0); CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
    INSERT INTO t(v) SELECT printf('base %d ', value) || hex(zeroblob(60)) FROM
    (WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < ${scenario.baseRows}) SELECT value FROM s)`);
  const states = [hashOf(db)];
  db.close();
  const parts = [];
  for await (const c of vfs.serialize(prefix)) parts.push(Buffer.from(c));
  const original = Buffer.concat(parts);

  const clean = await runWriter(proxy, server.s3, server.bucket, prefix, scenario);
  if (clean.code !== 0 || clean.acks.length !== scenario.steps.length) throw new Error(`scenario ${seed} failed without a crash:\n${clean.out}`);
  states.push(...clean.acks);
  const violations = [];
  for (const killAt of clean.mutations) {
    await restoreDatabase(vfs, prefix, original);
    const r = await runWriter(proxy, server.s3, server.bucket, prefix, scenario, killAt);
    assertKilledAt(r, killAt, clean); // a point not reached is a bug of the soak: stop
    const { integrity, hash } = await inspect(server, prefix, scenario);
    const at = states.lastIndexOf(hash); // VACUUM, say, keeps the content: the latest such state
    tally.points++;
    tally[scenario.layout]++;
    if (at >= 0) tally.byOutcome[at === r.acks.length ? 'lastAcked' : 'newer']++;
    if (process.env.SOAK_DEBUG) console.log(`seed ${seed} kill ${killAt}: acked ${r.acks.length}, state ${at} of ${states.length - 1}, ${JSON.stringify(states)}`);
    if (integrity !== 'ok' || at < 0 || at < r.acks.length || r.acks.some((h, i) => h !== states[i + 1])) {
      violations.push({ seed, killAt, integrity, state: at, acked: r.acks.length });
    }
  }
  await vfs.close();
  tally.scenarios++;
  tally.violations.push(...violations);
  return clean.mutations.length;
}

async function crashSoak(target, lanes, firstSeed) {
  const server = await startLocalS3({ buckets: ['soak'] });
  if (server.external) throw new Error('the crash soak puts a proxy in front of the local s3rver; unset S3VFS_ENDPOINT');
  const tally = { points: 0, versioned: 0, compat: 0, scenarios: 0, byOutcome: { lastAcked: 0, newer: 0 }, violations: [] };
  let nextSeed = firstSeed;
  const started = Date.now();
  const lane = async () => {
    const proxy = await startCountingProxy(server.port);
    try {
      while (tally.points < target) {
        const seed = nextSeed++;
        const n = await crashScenario(server, proxy, seed, tally);
        const s = scenarioOf(seed);
        console.log(`scenario ${seed}: ${s.layout} ${s.journalMode}/${s.synchronous} block ${s.blockSize} cache ${s.cacheSize} pages ${s.pageCache}` +
          `${s.faults ? `, ${s.faults.action} every ${s.faults.every}` : ''}, ` +
          `${s.steps.map((x) => x.kind).join(',')}: ${n} kill points; total ${tally.points}, violations ${tally.violations.length}`);
      }
    } finally {
      await proxy.close();
    }
  };
  try {
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    await server.stop();
  }
  tally.seconds = Math.round((Date.now() - started) / 1000);
  return tally;
}

function runRaceWriter(server, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'test', 'support', 'race-writer.js'), JSON.stringify({ ...args, bucket: server.bucket, s3: server.s3 })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`race writer exited ${code}: ${out}${err}`))));
  });
}

async function raceSoak(total, writers) {
  const server = await startRadosgw({ bucket: 'soak' });
  if (!server) throw new Error('the race soak needs Ceph radosgw (apt-get install radosgw ceph-mon ceph-osd ceph-common)');
  const started = Date.now();
  const prefix = `soak-${Date.now().toString(36)}/race.db`;
  const problems = [];
  const vfs = new S3VFS({ bucket: server.bucket, s3: server.s3, blockSize: 16384 });
  try {
    const db = vfs.open(prefix);
    db.exec('CREATE TABLE log(writer TEXT, n INTEGER, PRIMARY KEY (writer, n)); CREATE TABLE counter(total INTEGER); INSERT INTO counter VALUES (0)');
    db.close();
    const each = Math.ceil(total / writers);
    const running = Array.from({ length: writers }, (_, i) => runRaceWriter(server, { prefix, writer: `w${i}`, transactions: each, perOpen: 5 }));
    let done = false;
    Promise.allSettled(running).then(() => (done = true));
    const reader = vfs.open(prefix, { readonly: true });
    let reads = 0;
    let last = 0;
    while (!done) {
      const { t, rows } = reader.transaction(() => ({
        t: reader.prepare('SELECT total FROM counter').pluck().get(),
        rows: reader.prepare('SELECT count(*) FROM log').pluck().get(),
      }))();
      if (rows !== t) problems.push(`reader saw ${rows} rows but a counter of ${t}`);
      if (t < last) problems.push(`reader went back from ${last} to ${t}`);
      last = t;
      if (reads++ % 10 === 0 && reader.pragma('quick_check', { simple: true }) !== 'ok') problems.push('quick_check failed');
      await sleep(20);
    }
    reader.close();
    const results = await Promise.all(running);
    const check = vfs.open(prefix);
    if (check.pragma('integrity_check', { simple: true }) !== 'ok') problems.push('integrity_check failed');
    const rows = check.prepare('SELECT writer, n FROM log').all().map((r) => `${r.writer}:${r.n}`).sort();
    const counter = check.prepare('SELECT total FROM counter').pluck().get();
    check.close();
    const acknowledged = results.flatMap((r) => r.committed.map((n) => `${r.writer}:${n}`)).sort();
    const present = new Set(rows);
    const lost = acknowledged.filter((k) => !present.has(k));
    const ackSet = new Set(acknowledged);
    const phantom = rows.filter((k) => !ackSet.has(k));
    if (lost.length) problems.push(`${lost.length} acknowledged transactions missing: ${lost.slice(0, 5)}`);
    if (phantom.length) problems.push(`${phantom.length} rows nobody acknowledged: ${phantom.slice(0, 5)}`);
    if (counter !== acknowledged.length) problems.push(`counter ${counter} != ${acknowledged.length} acknowledged`);
    return {
      attempted: each * writers,
      acknowledged: acknowledged.length,
      busy: results.reduce((n, r) => n + r.busy, 0),
      readerTransactions: reads,
      problems,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await vfs.close();
    await server.stop();
  }
}

async function main() {
  const crashTarget = Number(opt.crash);
  const raceTarget = Number(opt.race);
  let failed = false;
  if (crashTarget > 0) {
    const t = await crashSoak(crashTarget, Number(opt.lanes), Number(opt.seed));
    console.log(`CRASH: ${t.points} kill points in ${t.scenarios} scenarios (${t.versioned} versioned, ${t.compat} seed layout), ` +
      `${t.seconds} s; state after the crash: the last acknowledged commit ${t.byOutcome.lastAcked}, the commit under way ${t.byOutcome.newer}; ` +
      `violations: ${t.violations.length}`);
    for (const v of t.violations) console.log(`  VIOLATION ${JSON.stringify(v)}`);
    failed ||= t.violations.length > 0;
  }
  if (raceTarget > 0) {
    const r = await raceSoak(raceTarget, Number(opt.writers));
    console.log(`RACE: ${r.attempted} transactions attempted by ${opt.writers} processes, ${r.acknowledged} acknowledged, ${r.busy} SQLITE_BUSY, ` +
      `${r.readerTransactions} reader transactions, ${r.seconds} s; problems: ${r.problems.length}`);
    for (const p of r.problems) console.log(`  PROBLEM ${p}`);
    failed ||= r.problems.length > 0;
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
