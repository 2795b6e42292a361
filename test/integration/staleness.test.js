// maxStalenessMs in the versioned layout: read transactions take the manifest that a refresh
// in the background found, so autocommit statements wait for no round trip, and a reader
// still sees another writer's commit within maxStalenessMs plus one round trip. The
// reader's manifest GETs are slowed down by a proxy in its own process, so that a
// statement waiting for one shows.
const { makeVfs, uniquePrefix, useFaultProxy } = require('../support/helpers');

const proxy = useFaultProxy('these tests');

const DELAY = 300;
const WINDOW = 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('autocommit reads under maxStalenessMs wait for no manifest round trip, and see a commit elsewhere within the window', async () => {
  const prefix = uniquePrefix('refresh');
  const w = makeVfs({ layout: 'versioned' }).open(prefix);
  w.exec('CREATE TABLE t(v); INSERT INTO t VALUES (1)');
  const reader = makeVfs({ layout: 'versioned', maxStalenessMs: WINDOW, s3: proxy.s3 });
  const r = reader.open(prefix, { readonly: true });
  const count = r.prepare('SELECT count(*) FROM t').pluck();
  expect(count.get()).toBe(1);
  await proxy.faults([{ method: 'GET', key: 'manifest', action: 'delay', ms: DELAY }]);
  reader.resetStats();

  let slowest = 0;
  let statements = 0;
  let committedAt = 0;
  let seenAt = 0;
  const start = Date.now();
  while (Date.now() - start < 3 * WINDOW) {
    const t = Date.now();
    const n = count.get();
    slowest = Math.max(slowest, Date.now() - t);
    statements++;
    if (!committedAt && Date.now() - start > WINDOW) {
      w.exec('INSERT INTO t VALUES (2)');
      committedAt = Date.now();
    }
    if (committedAt && !seenAt && n === 2) seenAt = Date.now();
    await sleep(5);
  }
  await proxy.reset();
  expect(statements).toBeGreaterThan(100);
  // Checking in the read transaction itself costs one statement a slow round trip per window.
  expect(slowest).toBeLessThan(DELAY / 2);
  expect(seenAt).toBeGreaterThan(0);
  expect(seenAt - committedAt).toBeLessThanOrEqual(WINDOW + DELAY + 250);
  // The main thread begins read transactions without crossing within the window the
  // worker gave it: about one crossing per window, not one per statement.
  expect(reader.stats().bridgeCrossings).toBeLessThan(statements / 10);
  // About two conditional GETs per window, in the background.
  expect(reader.stats().get).toBeLessThanOrEqual(3 * 2 + 3);
  r.close();
  w.close();
});

test('a commit a background refresh sees ends the window at once: the reader does not wait out maxStalenessMs', async () => {
  const prefix = uniquePrefix('refresh-news');
  const w = makeVfs({ layout: 'versioned' }).open(prefix);
  w.exec('CREATE TABLE t(v); INSERT INTO t VALUES (1)');
  const LONG = 6000; // refreshed every 3 s; a window lasts up to 6 s
  const reader = makeVfs({ layout: 'versioned', maxStalenessMs: LONG });
  const r = reader.open(prefix, { readonly: true });
  const count = r.prepare('SELECT count(*) FROM t').pluck();
  expect(count.get()).toBe(1); // the window starts here
  const start = Date.now();
  w.exec('INSERT INTO t VALUES (2)');
  let seenAt = 0;
  while (!seenAt && Date.now() - start < LONG + 2000) {
    if (count.get() === 2) seenAt = Date.now();
    await sleep(20);
  }
  // The refresh at about LONG / 2 sees the commit; without news of it the main thread would
  // begin read transactions on the old snapshot until the window ends, about LONG.
  expect(seenAt).toBeGreaterThan(0);
  expect(seenAt - start).toBeLessThan(LONG / 2 + 1500);
  r.close();
  w.close();
});

test('the refresh stops when the database is closed', async () => {
  const prefix = uniquePrefix('refresh-stop');
  const w = makeVfs({ layout: 'versioned' }).open(prefix);
  w.exec('CREATE TABLE t(v); INSERT INTO t VALUES (1)');
  const reader = makeVfs({ layout: 'versioned', maxStalenessMs: 200, s3: proxy.s3 });
  const r = reader.open(prefix, { readonly: true });
  expect(r.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1);
  r.close();
  await sleep(100);
  reader.resetStats();
  await sleep(800);
  expect(reader.stats().get).toBe(0);
  w.close();
});

test("the manifest an open read counts as checked then: a reader under maxStalenessMs does not ask again at its first statement; a strict one does", async () => {
  const prefix = uniquePrefix('open-fresh');
  const w = makeVfs({ layout: 'versioned' }).open(prefix);
  w.exec('CREATE TABLE t(v); INSERT INTO t VALUES (1)');
  const gets = {};
  for (const maxStalenessMs of [60_000, 0]) {
    const reader = makeVfs({ layout: 'versioned', maxStalenessMs });
    const r = reader.open(prefix, { readonly: true });
    const before = reader.stats().get;
    expect(r.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1);
    gets[maxStalenessMs] = reader.stats().get - before;
    r.close();
  }
  expect(gets[60_000]).toBe(0);
  expect(gets[0]).toBeGreaterThanOrEqual(1); // the strict check of the manifest
});
