// What a versioned writer hands to this machine's disk cache when it commits: the blocks a
// commit uploaded wait for its manifest, but never more than a quarter of the cache's worth
// (a commit larger than that would otherwise hold all its blocks in memory until then).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { MemoryObjects } = require('../../dist/store/memory-objects');
const { DiskCache } = require('../../dist/store/disk-cache');
const { DB, fileTable, transaction } = require('../support/file-tables');

const B = 256;

/** A versioned file table whose commits may keep at most `waitBlocks` blocks back for the
 *  disk: half of the written bytes its files may hold in memory. */
const table = (s3, disk, waitBlocks) => fileTable(s3, 'versioned', B, disk, 2 * waitBlocks * B);

/** The disk cache's entry files in `dir`. */
const entryFiles = (dir) => fs.readdirSync(dir).flatMap((sub) => fs.readdirSync(path.join(dir, sub)));

/** Entries handed to the disk cache so far: on disk, or being written. */
function handed(disk, dir) {
  return entryFiles(dir).length + /** @type {any} */ (disk).pending.size;
}

/**
 * Commits 20 blocks in one transaction with at most `waitBlocks` blocks allowed to wait;
 * returns how many of them the disk cache had been given when the commit's manifest went
 * up, and how many entries it holds once the file is closed.
 */
async function commitTwenty(waitBlocks) {
  const s3 = new MemoryObjects();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'commit-entries-'));
  const disk = new DiskCache(dir, 1 << 20, 'ns', s3.counters);
  const files = table(s3, disk, waitBlocks);
  const { id } = await files.open('db', DB);
  let atManifest = -1;
  const put = s3.put.bind(s3);
  s3.put = async (key, body, condition) => {
    if (key.endsWith('manifest.json')) atManifest = handed(disk, dir); // the commit's is the last
    return put(key, body, condition);
  };
  await transaction(files, id, new Uint8Array(20 * B), Array.from({ length: 20 }, (_, i) => [i * B, new Uint8Array(B).fill(i + 1)]));
  await files.close(id);
  await disk.flush();
  const kept = entryFiles(dir).filter((n) => n.endsWith('.block2')).length;
  fs.rmSync(dir, { recursive: true, force: true });
  return { atManifest, kept };
}

test('a commit larger than what may wait hands its blocks to the disk cache as they go up, before its manifest', async () => {
  const { atManifest, kept } = await commitTwenty(2);
  // All but the two that may wait for the manifest.
  expect(atManifest).toBeGreaterThanOrEqual(18);
  expect(kept).toBe(20);
});

test('a small commit hands nothing to the disk cache before its manifest is in', async () => {
  const { atManifest, kept } = await commitTwenty(64);
  expect(atManifest).toBe(0);
  expect(kept).toBe(20);
});
