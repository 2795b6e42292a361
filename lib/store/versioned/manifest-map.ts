// A manifest whose commit cost does not grow with the database (docs/FORMAT.md, "Map
// pages"). A large database's block entries live in map pages, immutable objects of
// MAP_PAGE_BLOCKS entries each; the manifest itself (the root) lists the pages and the
// entries changed since they were written. A commit rewrites the root alone, until the
// changed entries pass MAX_CHANGED: then it writes the pages whose entries changed (a
// checkpoint) and the root lists none. Readers keep the pages they read by key, so a reader
// that follows commits reads a page again only after a checkpoint changed it.
import { crc32 } from 'node:zlib';
import { S3VFSError } from '../../errors';
import { blockCount } from '../blocks';
import type { ObjectStore } from '../object-store';
import type { DiskCache } from '../disk-cache';
import {
  badManifest,
  blockBytes,
  crc32Hex,
  encodeEntry,
  encodeManifest,
  FORMAT_VERSION,
  manifestHeader,
  newMapPageKey,
  parseEntry,
  type BlockEntry,
  type Manifest,
  type ManifestMap,
  type MapPageRef,
} from './manifest';

/** A database of more blocks than this keeps its entries in map pages. */
export const MAP_FROM_BLOCKS = 512;
/** Entries in one map page (about 40 KB of JSON). */
export const MAP_PAGE_BLOCKS = 512;
/** Entries a root may list as changed since its pages; one more makes a checkpoint. */
export const MAX_CHANGED = 256;
const PAGE_FORMAT = 'sqlite-s3vfs/map';

/** A manifest as the commit writes it: the root's bytes, and the map pages to PUT first. */
export interface StoredManifest {
  root: Uint8Array;
  pages: { key: string; body: Uint8Array }[];
  map: ManifestMap | undefined;
}

/** Whether two entries name the same bytes: the same object and the same patches. */
function sameEntry(a: BlockEntry | undefined, b: BlockEntry | undefined): boolean {
  if (!a || !b || a.key !== b.key || (a.patches?.length ?? 0) !== (b.patches?.length ?? 0)) return false;
  return (a.patches ?? []).every((p, j) => p.key === b.patches![j].key && p.off === b.patches![j].off);
}

/**
 * How to store `m` (whose `blocks` are all its entries) after `base`, the manifest it
 * replaces: inline when it is small; else on `base`'s map pages with the entries that
 * changed since them in the root, or, past MAX_CHANGED of those, on new pages where the
 * entries changed (the others are kept).
 */
export function storeManifest(m: Manifest, base: Manifest | null): StoredManifest {
  const encoder = new TextEncoder();
  if (m.blocks.length <= MAP_FROM_BLOCKS) return { root: encodeManifest(m), pages: [], map: undefined };
  const old = base?.map && base.blockSize === m.blockSize ? base.map : undefined;
  let map = old;
  let changed = map ? changedSince(m, map) : [];
  const pages: StoredManifest['pages'] = [];
  if (!map || changed.length > MAX_CHANGED) {
    map = { pages: [], entries: m.blocks };
    for (let first = 0; first < m.blocks.length; first += MAP_PAGE_BLOCKS) {
      const entries = m.blocks.slice(first, first + MAP_PAGE_BLOCKS);
      const kept = old && keptPage(old, first, entries);
      if (kept) {
        map.pages.push(kept);
        continue;
      }
      const body = encoder.encode(JSON.stringify({ format: PAGE_FORMAT, blocks: entries.map((b, k) => encodeEntry(b, blockBytes(m, first + k))) }));
      const key = newMapPageKey(m.commit);
      pages.push({ key, body });
      map.pages.push({ key, count: entries.length, size: body.length, crc32: crc32Hex(crc32(body)) });
    }
    changed = [];
  }
  const root = { ...manifestHeader(m, FORMAT_VERSION), map: map.pages, changed: changed.map((i) => ({ index: i, ...encodeEntry(m.blocks[i], blockBytes(m, i)) })) };
  return { root: encoder.encode(JSON.stringify(root)), pages, map };
}

/** The blocks of `m` whose entries differ from the map's (or lie past it). */
function changedSince(m: Manifest, map: ManifestMap): number[] {
  const out: number[] = [];
  for (let i = 0; i < m.blocks.length; i++) if (!sameEntry(m.blocks[i], map.entries[i])) out.push(i);
  return out;
}

/** The page of `old` that holds exactly `entries` from block `first`, if there is one. */
function keptPage(old: ManifestMap, first: number, entries: BlockEntry[]): MapPageRef | undefined {
  let at = 0;
  for (const p of old.pages) {
    if (at === first && p.count === entries.length && entries.every((e, k) => sameEntry(e, old.entries[first + k]))) return p;
    at += p.count;
  }
  return undefined;
}

/**
 * The whole manifest of a root parsed with its pages unread (parseManifest's `unresolved`):
 * the pages are read (those `previous` had are taken from it, the others from this
 * machine's `disk` if it has them, else from S3), checked against the size and CRC32 the
 * root records, and the changed entries laid over theirs. Other manifests come back as they are.
 */
export async function resolveManifest(s3: ObjectStore, name: string, m: Manifest, previous?: Manifest | null, disk?: DiskCache): Promise<Manifest> {
  const u = m.unresolved;
  if (!u) return m;
  const known = new Map<string, BlockEntry[]>();
  let at = 0;
  for (const p of previous?.map?.pages ?? []) {
    known.set(p.key, previous!.map!.entries.slice(at, at + p.count));
    at += p.count;
  }
  const count = blockCount(m.size, m.blockSize);
  let first = 0;
  const lists = await Promise.all(
    u.pages.map((p) => {
      const at = first;
      first += p.count;
      return known.get(p.key) ?? readPage(s3, disk, name, p, at, m, u.changed);
    }),
  );
  const entries = lists.flat();
  const blocks: BlockEntry[] = [];
  for (let i = 0; i < count; i++) {
    const e = u.changed.get(i) ?? entries[i];
    if (!e) throw badManifest(`${name}/manifest.json`)(`block ${i} is in neither its map pages (${entries.length} entries) nor its changed entries`);
    blocks.push(e);
  }
  const { unresolved: _u, ...rest } = m;
  return { ...rest, blocks, map: { pages: u.pages, entries } };
}

/** A map page's bytes, checked: from this machine's disk (pages never change), else from S3. */
async function pageBytes(s3: ObjectStore, disk: DiskCache | undefined, name: string, key: string, p: MapPageRef): Promise<Uint8Array> {
  const local = await disk?.get(key, p.size);
  if (local && crc32Hex(local.crc32) === p.crc32) return local.bytes;
  const got = await s3.get(key);
  if (!got) throw new S3VFSError(`map page ${key} of '${name}' has vanished from the bucket: deleted by another client, or by vfs.gc with an olderThan shorter than this read?`, 'EVANISHED');
  const sum = crc32(got.body);
  if (got.body.length !== p.size || crc32Hex(sum) !== p.crc32) {
    throw new S3VFSError(`map page ${key} of '${name}' is damaged: not the ${p.size} bytes with CRC32 ${p.crc32} the manifest records`, 'ECORRUPT');
  }
  disk?.put(key, got.body, sum);
  return got.body;
}

/** A map page's entries (blocks `first`, ...), checked. */
async function readPage(s3: ObjectStore, disk: DiskCache | undefined, name: string, p: MapPageRef, first: number, m: Manifest, changed: Map<number, BlockEntry>): Promise<BlockEntry[]> {
  const key = `${name}/${p.key}`;
  const body = await pageBytes(s3, disk, name, key, p);
  const bad = badManifest(key);
  let page: { format?: unknown; blocks?: unknown };
  try {
    page = JSON.parse(new TextDecoder().decode(body));
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (page?.format !== PAGE_FORMAT || !Array.isArray(page.blocks) || page.blocks.length !== p.count) throw bad(`not a map page of ${p.count} entries`);
  // An entry the file no longer reads (past its end, or changed since) may have another size.
  const count = blockCount(m.size, m.blockSize);
  const sizeOf = (i: number) => (i < count && !changed.has(i) ? blockBytes(m, i) : undefined);
  return page.blocks.map((raw, k) => parseEntry(raw, first + k, sizeOf(first + k), FORMAT_VERSION, bad));
}
