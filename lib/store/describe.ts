// What a bucket holds, for people: the databases under a prefix (vfs.list, the CLI's ls)
// and the state of one (vfs.info, the CLI's info). Read-only: nothing here writes.
import { S3VFSError } from '../errors';
import { blockIndexOf, blockPrefix, readListing } from './compat/block-layout';
import { resolveManifest } from './versioned/manifest-map';
import { leaseKey, listedKeys, manifestKey, parseManifest, pageSizeOf, storedKeyCommit, versionedBlockPrefix } from './versioned/manifest';
import type { ObjectStore } from './object-store';
import { mapLimit } from './map-limit';

export interface DatabaseEntry {
  /** The database's name (its prefix). */
  name: string;
  layout: 'versioned' | 'compat';
  /** Bytes in the database file. */
  size: number;
}

export interface DatabaseInfo extends DatabaseEntry {
  pageSize: number;
  blockSize: number;
  /** Versioned: commits so far. */
  commit?: number;
  /** Versioned: who holds the write lease, until when (null: nobody). */
  lease?: { owner: string; expiresAt: string } | null;
  /** Versioned: block objects no manifest lists any more, which vfs.gc would collect. */
  garbage?: { objects: number; bytes: number };
  /** Seed layout: whether a journal in the bucket is hot (a writer at work, or one that died). */
  hotJournal?: boolean;
}

/** Names SQLite derives from a database's (its journal, WAL, super-journals): not databases. */
const DERIVED = /-(journal|wal|mj[0-9A-Fa-f]+)$/;

/** The databases directly under `under` ('' for the top of the bucket): one LIST, then one
 *  or two small requests per database to tell its layout and size. */
export async function listDatabases(s3: ObjectStore, under: string, concurrency: number): Promise<DatabaseEntry[]> {
  const prefixes = await s3.listPrefixes(under ? `${under}/` : '');
  const names = prefixes.map((p) => p.slice(0, -1)).filter((n) => !DERIVED.test(n));
  const found = await mapLimit(names, concurrency, (name) => entryOf(s3, name));
  return found.filter((e): e is DatabaseEntry => e !== null);
}

async function entryOf(s3: ObjectStore, name: string): Promise<DatabaseEntry | null> {
  const got = await s3.get(manifestKey(name));
  if (got) return { name, layout: 'versioned', size: parseManifest(manifestKey(name), got.body).size };
  if ((await s3.head(`${name}/0000000000`)) === null) return null; // a folder, not a database
  const listing = await seedListing(s3, name);
  return { name, layout: 'compat', size: listing.size };
}

async function seedListing(s3: ObjectStore, name: string) {
  const listed = await s3.list(blockPrefix(name));
  const blocks = listed.map((o) => ({ index: blockIndexOf(name, o.key), size: o.size })).filter((b) => b.index >= 0);
  const b0 = blocks.find((b) => b.index === 0);
  const blockSize = b0 && blocks.some((b) => b.index === 1) ? b0.size : (b0?.size ?? 0);
  return { ...readListing(name, blocks, Math.max(1, blockSize)), blockSize };
}

/** The state of one database. */
export async function describeDatabase(s3: ObjectStore, name: string): Promise<DatabaseInfo> {
  const got = await s3.get(manifestKey(name));
  if (got) {
    const m = await resolveManifest(s3, name, parseManifest(manifestKey(name), got.body));
    const [leaseObject, top, versioned] = await Promise.all([s3.get(leaseKey(name)), s3.list(`${name}/`), s3.list(versionedBlockPrefix(name))]);
    const listed = listedKeys(m);
    const unreferenced = [...top, ...versioned].filter((o) => {
      const rel = o.key.slice(name.length + 1);
      const commit = storedKeyCommit(rel);
      return commit !== null && !listed.has(rel) && commit <= m.commit;
    });
    let lease: DatabaseInfo['lease'] = null;
    if (leaseObject) {
      const l = JSON.parse(new TextDecoder().decode(leaseObject.body)) as { owner: string; expiresAt: number; released?: boolean };
      if (!l.released && l.expiresAt > Date.now()) lease = { owner: l.owner, expiresAt: new Date(l.expiresAt).toISOString() };
    }
    return {
      name,
      layout: 'versioned',
      size: m.size,
      pageSize: m.pageSize,
      blockSize: m.blockSize,
      commit: m.commit,
      lease,
      garbage: { objects: unreferenced.length, bytes: unreferenced.reduce((n, o) => n + o.size, 0) },
    };
  }
  const listing = await seedListing(s3, name);
  if (listing.size === 0) throw new S3VFSError(`no database at s3 prefix ${name}/ (no manifest and no blocks)`, 'ENOENT');
  const header = await s3.get(`${name}/0000000000`, { start: 0, end: 100 });
  const journal = await s3.get(`${name}-journal/0000000000`, { start: 0, end: 1 }).catch(() => null);
  return {
    name,
    layout: 'compat',
    size: listing.size,
    pageSize: header ? pageSizeOf(header.body) : 0,
    blockSize: listing.blockSize,
    hotJournal: !!journal && journal.body.length > 0 && journal.body[0] !== 0,
  };
}
