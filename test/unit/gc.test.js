// gc's decisions, on the in-memory store: what it deletes, keeps, and leaves for later
// (lib/store/gc.ts; docs/FORMAT.md, "Garbage collection").
const { MemoryObjects } = require('../../dist/store/memory-objects');
const { collectGarbage } = require('../../dist/store/versioned/gc');
const { encodeManifest, emptyManifest, gcStateKey } = require('../../dist/store/versioned/manifest');

const HOUR = 3_600_000;
const blockKey = (i, commit) => `v/${String(i).padStart(10, '0')}.${commit}.${'ab'.repeat(6)}${commit}`;

/** A database at commit 5 listing two blocks, with one dropped block of commit 3, one
 *  written for commit 6 (in flight), and a probe object; the manifest written `age` ago. */
async function database(age) {
  const s3 = new MemoryObjects();
  const at = Date.now() - age;
  s3.now = () => at;
  const m = { ...emptyManifest(4), size: 8, commit: 5, blocks: [{ key: blockKey(0, 5) }, { key: blockKey(1, 2) }] };
  for (const k of [blockKey(0, 5), blockKey(1, 2), blockKey(0, 3), blockKey(1, 6)]) await s3.put(`db/${k}`, new Uint8Array(4));
  await s3.put('db/probe.0123456789ab', new Uint8Array(1));
  await s3.put('db/manifest.json', encodeManifest(m));
  s3.now = Date.now;
  return s3;
}

test('an old manifest: every block it does not list, up to its commit, goes; in-flight ones stay', async () => {
  const s3 = await database(2 * HOUR);
  const r = await collectGarbage(s3, 'db', HOUR);
  expect(r).toEqual({ commit: 5, referenced: 2, deleted: 1, deletedBytes: 4, waiting: 0, inFlight: 1 });
  expect(s3.keys()).toEqual(['db/manifest.json', `db/${blockKey(0, 5)}`, `db/${blockKey(1, 2)}`, `db/${blockKey(1, 6)}`].sort());
});

test('a fresh manifest: unreferenced blocks wait, recorded in gc.json, and go once recorded long enough', async () => {
  const s3 = await database(0);
  const first = await collectGarbage(s3, 'db', HOUR);
  expect(first).toMatchObject({ deleted: 0, waiting: 1, inFlight: 1 });
  const state = JSON.parse(new TextDecoder().decode((await s3.get(gcStateKey('db'))).body));
  expect(state.seen.flatMap((s) => s.keys)).toEqual([blockKey(0, 3)]);
  // A run an hour later sees the record's time: the block has waited long enough.
  state.seen[0].at -= 2 * HOUR;
  await s3.put(gcStateKey('db'), new TextEncoder().encode(JSON.stringify(state)));
  const second = await collectGarbage(s3, 'db', HOUR);
  expect(second).toMatchObject({ deleted: 1, waiting: 0 });
  expect(await s3.get(gcStateKey('db'))).toBeNull();
});

test('olderThan 0 deletes every unreferenced block and the probes at once', async () => {
  const s3 = await database(0);
  expect(await collectGarbage(s3, 'db', 0)).toMatchObject({ deleted: 1, waiting: 0, inFlight: 1 });
  expect(s3.keys().some((k) => k.includes('probe'))).toBe(false);
});

test('a seed-layout database and a missing one are refused by name', async () => {
  const s3 = new MemoryObjects();
  await s3.put('seed/0000000000', new Uint8Array(4));
  await expect(collectGarbage(s3, 'seed', 0)).rejects.toMatchObject({ code: 'ELAYOUT' });
  await expect(collectGarbage(s3, 'none', 0)).rejects.toMatchObject({ code: 'ENOENT' });
});
