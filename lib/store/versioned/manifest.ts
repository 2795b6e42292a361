// The versioned layout (docs/FORMAT.md): a database named N is the object N/manifest.json,
// which lists immutable block objects. Replacing the manifest with a conditional PUT is
// the commit point; the lease object N/lease.json says which writer may do it.
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { S3VFSError } from '../../errors';
import { blockCount, blockLength } from '../blocks';

export const FORMAT = 'sqlite-s3vfs/versioned';
/** The newest version this library writes: 3 when a block has patches, else 2, which
 *  earlier releases read too. It reads 1 as well (block keys without checksums). */
export const FORMAT_VERSION = 3;
const PLAIN_VERSION = 2;

/** Changes to a block stored in a patch object: runs of the block's bytes, one after another
 *  in the object from `off`. */
export interface PatchRef {
  /** The patch object's key, relative to "N/" (v/patch.C.R). */
  key: string;
  /** Where this block's runs start in the patch object. */
  off: number;
  /** [at, len, at, len, ...]: `len` bytes at offset `at` of the block, ascending. */
  runs: number[];
}

/** One block of the database: its object, and the CRC32 of its bytes when known. */
export interface BlockEntry {
  /** The object's key, relative to "N/". */
  key: string;
  /** 8 lower-case hex digits (IEEE CRC-32, as zlib's crc32); absent for blocks listed by a
   *  version 1 manifest or adopted from the seed layout by migrate. With patches: the base
   *  object's. */
  crc32?: string;
  /** Changes applied over the object, in order (version 3): the block is the object's
   *  bytes, zero-filled to the block's size, with each patch's runs written over them. */
  patches?: PatchRef[];
  /** With patches: the bytes in the base object (it may be shorter than the block). */
  baseSize?: number;
  /** With patches: the CRC32 of the block's bytes after them. */
  patchedCrc32?: string;
}

/** Bytes a patch's runs hold. */
export function runBytes(runs: number[]): number {
  let n = 0;
  for (let i = 1; i < runs.length; i += 2) n += runs[i];
  return n;
}

/** Every object a manifest lists, relative to "N/": block, patch and map page objects. */
export function listedKeys(m: Pick<Manifest, 'blocks' | 'map'> | null | undefined): Set<string> {
  const keys = new Set<string>();
  for (const p of m?.map?.pages ?? []) keys.add(p.key);
  for (const b of m?.blocks ?? []) {
    keys.add(b.key);
    for (const p of b.patches ?? []) keys.add(p.key);
  }
  return keys;
}

/** The CRC32 of a block, as manifests record it. */
export function blockCrc32(bytes: Uint8Array): string {
  return crc32Hex(crc32(bytes));
}

/** A CRC32 as manifests record it. */
export function crc32Hex(sum: number): string {
  return sum.toString(16).padStart(8, '0');
}

export interface Manifest {
  format: typeof FORMAT;
  version: number;
  /** SQLite's page size (from the header in block 0), 0 while the database is empty. */
  pageSize: number;
  blockSize: number;
  /** Bytes in the database file. */
  size: number;
  /** Commits so far; each one adds 1. */
  commit: number;
  /** The lease generation of the writer that wrote this manifest (see lease.ts). */
  generation: number;
  /** Block i: ceil(size / blockSize) of them. */
  blocks: BlockEntry[];
  /** Unique to each write of the manifest: a writer whose PUT's answer was lost reads the
   *  manifest back and knows its own by this. */
  id?: string;
  /** How `blocks` is stored when the manifest has a map (manifest-map.ts): its pages, and
   *  the entries they hold, in order. */
  map?: ManifestMap;
  /** Parsed from a root whose map pages are not read yet: `blocks` is empty until
   *  resolveManifest reads them. */
  unresolved?: Unresolved;
}

/** A map page as the root lists it: an object holding `count` consecutive block entries. */
export interface MapPageRef {
  key: string;
  count: number;
  /** The page object's bytes, and their CRC32. */
  size: number;
  crc32: string;
}

export interface ManifestMap {
  pages: MapPageRef[];
  /** Every entry the pages hold, in order (entry i is block i's as of the pages' writing). */
  entries: BlockEntry[];
}

/** A mapped root before its pages are read: the pages, and the entries that override theirs. */
export interface Unresolved {
  pages: MapPageRef[];
  changed: Map<number, BlockEntry>;
}

/** A new manifest id. */
export function newManifestId(): string {
  return randomBytes(8).toString('hex');
}

export function manifestKey(name: string): string {
  return `${name}/manifest.json`;
}

export function leaseKey(name: string): string {
  return `${name}/lease.json`;
}

/** Prefix of the block objects a versioned database writes (others may be seed blocks, after migrate). */
export function versionedBlockPrefix(name: string): string {
  return `${name}/v/`;
}

/** A new, never reused key for a new version of block `index`: blocks are immutable. */
export function newBlockKey(index: number, commit: number): string {
  return `v/${String(index).padStart(10, '0')}.${commit}.${randomBytes(6).toString('hex')}`;
}

/** A new, never reused key for the patch object of an upload for commit `commit`. */
export function newPatchKey(commit: number): string {
  return `v/patch.${commit}.${randomBytes(6).toString('hex')}`;
}

const VERSIONED_KEY = /^v\/(\d{10})\.(\d+)\.[0-9a-f]+$/;
const SEED_KEY = /^\d{10}$/;
const PATCH_KEY = /^v\/(?:patch|map)\.(\d+)\.[0-9a-f]+$/;

/** A new, never reused key for a map page written for commit `commit`. */
export function newMapPageKey(commit: number): string {
  return `v/map.${commit}.${randomBytes(6).toString('hex')}`;
}

/** The commit number an object a versioned database writes (a block, a patch object or a map
 *  page, key relative to "N/") was made for; 0 for seed blocks (after migrate), null for
 *  other keys. */
export function storedKeyCommit(rel: string): number | null {
  const p = PATCH_KEY.exec(rel);
  return p ? Number(p[1]) : (blockKeyParts(rel)?.commit ?? null);
}

/** The block index and commit number a block key (relative to "N/") was written with;
 *  a seed-layout key (listed after migrate) counts as commit 0. Null for other keys. */
export function blockKeyParts(rel: string): { index: number; commit: number } | null {
  const v = VERSIONED_KEY.exec(rel);
  if (v) return { index: Number(v[1]), commit: Number(v[2]) };
  return SEED_KEY.test(rel) ? { index: Number(rel), commit: 0 } : null;
}

export function gcStateKey(name: string): string {
  return `${name}/gc.json`;
}

export function emptyManifest(blockSize: number): Manifest {
  return { format: FORMAT, version: FORMAT_VERSION, pageSize: 0, blockSize, size: 0, commit: 0, generation: 0, blocks: [] };
}

/** The page size a database header (the first 100 bytes of block 0) records. */
export function pageSizeOf(header: Uint8Array): number {
  if (header.length < 18) return 0;
  const v = (header[16] << 8) | header[17];
  return v === 1 ? 65536 : v;
}

/** Parses and checks a manifest; an error names the object and what is wrong with it. A
 *  manifest with a map (manifest-map.ts) comes back with `unresolved` set and no `blocks`
 *  yet: resolveManifest reads its map pages. */
export function parseManifest(key: string, bytes: Uint8Array): Manifest {
  let m: Manifest & { map?: unknown; changed?: unknown };
  try {
    m = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new S3VFSError(`${key} is not a sqlite-s3vfs manifest: ${(err as Error).message}`, 'EBADMANIFEST');
  }
  const bad = badManifest(key);
  if (!m || m.format !== FORMAT) throw bad(`format is ${JSON.stringify(m?.format)}, expected "${FORMAT}"`);
  if (m.version !== 1 && m.version !== 2 && m.version !== 3) throw bad(`version ${m.version} is not supported (this library reads versions 1 to 3)`);
  for (const field of ['blockSize', 'size', 'commit', 'generation', 'pageSize'] as const) {
    if (!Number.isSafeInteger(m[field]) || m[field] < 0) throw bad(`${field} is ${JSON.stringify(m[field])}`);
  }
  if (m.blockSize <= 0) throw bad('blockSize is 0');
  if (m.id !== undefined && typeof m.id !== 'string') throw bad(`id is ${JSON.stringify(m.id)}`);
  const count = blockCount(m.size, m.blockSize);
  if (m.version === 3 && m.map !== undefined) {
    const { map, changed, blocks: _none, ...header } = m;
    return { ...header, version: FORMAT_VERSION, blocks: [], unresolved: parseMapRoot(m, map, changed, bad) };
  }
  if (!Array.isArray(m.blocks) || m.blocks.length !== count) {
    throw bad(`it lists ${m.blocks?.length} blocks for ${m.size} bytes in blocks of ${m.blockSize}`);
  }
  const blocks = (m.blocks as unknown[]).map((b, i) => parseEntry(m.version === 1 ? { key: b } : b, i, blockBytes(m, i), m.version, bad));
  return { ...m, version: FORMAT_VERSION, blocks };
}

/** An error about the manifest (or map page) `key`. */
export function badManifest(key: string): (what: string) => S3VFSError {
  return (what) => new S3VFSError(`${key} is not a valid sqlite-s3vfs manifest: ${what}`, 'EBADMANIFEST');
}

/** A mapped manifest's root: its map pages and the entries changed since they were written. */
function parseMapRoot(m: Manifest, map: unknown, changed: unknown, bad: (what: string) => S3VFSError): Unresolved {
  if (!Array.isArray(map) || map.length === 0) throw bad(`map is ${JSON.stringify(map)}`);
  const pages = map.map((p: { key?: unknown; count?: unknown; size?: unknown; crc32?: unknown }, j) => {
    const positive = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;
    if (!isRelativeKey(p?.key) || !positive(p.count) || !positive(p.size) || !isCrc(p.crc32, false)) {
      throw bad(`map page ${j} is ${JSON.stringify(p)}`);
    }
    return { key: p.key, count: p.count as number, size: p.size as number, crc32: p.crc32 as string };
  });
  if (!Array.isArray(changed)) throw bad(`changed is ${JSON.stringify(changed)}`);
  const count = blockCount(m.size, m.blockSize);
  const entries = new Map<number, BlockEntry>();
  for (const c of changed as { index?: unknown }[]) {
    const i = c?.index;
    if (!Number.isSafeInteger(i) || (i as number) < 0 || (i as number) >= count || entries.has(i as number)) throw bad(`a changed entry has index ${JSON.stringify(i)}`);
    entries.set(i as number, parseEntry(c, i as number, blockBytes(m, i as number), 3, bad));
  }
  return { pages, changed: entries };
}

/**
 * One block entry, as a manifest or a map page stores it, for block `i` of `size` bytes
 * (undefined: a map page's entry past the end of the file, which no one reads).
 */
export function parseEntry(raw: unknown, i: number, size: number | undefined, version: number, bad: (what: string) => S3VFSError): BlockEntry {
  // Version 1 lists keys; version 2 lists { key, size, crc32 }; version 3 adds patches.
  const e = raw as { key?: unknown; size?: unknown; crc32?: unknown; patches?: unknown; patchedCrc32?: unknown };
  if (!isRelativeKey(e?.key)) throw bad(`block ${i} has no relative key`);
  if (!isCrc(e.crc32, true)) throw bad(`block ${i} has crc32 ${JSON.stringify(e.crc32)}`);
  const entry: BlockEntry = e.crc32 === undefined ? { key: e.key } : { key: e.key, crc32: e.crc32 as string };
  const limit = size ?? Number.MAX_SAFE_INTEGER;
  if (e.patches === undefined || version < 3) {
    if (e.patches !== undefined) throw bad(`block ${i} has patches, which version ${version} does not have`);
    if (version >= 2 && size !== undefined && e.size !== size) throw bad(`block ${i} has size ${JSON.stringify(e.size)}, expected ${size}`);
    return entry;
  }
  if (!Number.isSafeInteger(e.size) || (e.size as number) < 0 || (e.size as number) > limit) throw bad(`block ${i} has size ${JSON.stringify(e.size)}, more than its ${size} bytes`);
  if (!Array.isArray(e.patches) || e.patches.length === 0) throw bad(`block ${i} has patches ${JSON.stringify(e.patches)}`);
  if (!isCrc(e.patchedCrc32, false)) throw bad(`block ${i} has patchedCrc32 ${JSON.stringify(e.patchedCrc32)}`);
  const patches = e.patches.map((p: { key?: unknown; off?: unknown; runs?: unknown }, j) => {
    const what = `patch ${j} of block ${i}`;
    if (!isRelativeKey(p?.key)) throw bad(`${what} has no relative key`);
    if (!Number.isSafeInteger(p.off) || (p.off as number) < 0) throw bad(`${what} has off ${JSON.stringify(p.off)}`);
    const runs = p.runs;
    if (!Array.isArray(runs) || runs.length === 0 || runs.length % 2 !== 0) throw bad(`${what} has runs ${JSON.stringify(runs)}`);
    for (let k = 0; k < runs.length; k += 2) {
      const [at, len] = [runs[k], runs[k + 1]];
      const after = k === 0 ? 0 : runs[k - 2] + runs[k - 1];
      if (!Number.isSafeInteger(at) || !Number.isSafeInteger(len) || len <= 0 || at < after || at + len > limit) {
        throw bad(`${what} has a run of ${JSON.stringify(len)} bytes at ${JSON.stringify(at)}, outside its block or out of order`);
      }
    }
    return { key: p.key, off: p.off as number, runs: runs as number[] };
  });
  return { ...entry, patches, baseSize: e.size as number, patchedCrc32: e.patchedCrc32 as string };
}

/** Bytes in block i of the database a manifest describes. */
export function blockBytes(m: Pick<Manifest, 'size' | 'blockSize'>, i: number): number {
  return blockLength(i, m.size, m.blockSize);
}

function isRelativeKey(k: unknown): k is string {
  return typeof k === 'string' && k !== '' && !k.startsWith('/') && !k.split('/').some((s) => s === '..' || s === '.');
}

function isCrc(v: unknown, optional: boolean): boolean {
  return (optional && v === undefined) || (typeof v === 'string' && /^[0-9a-f]{8}$/.test(v));
}

/** Block `i`'s entry as stored (`size`: the block's bytes). */
export function encodeEntry(b: BlockEntry, size: number): object {
  const plain = { key: b.key, size, ...(b.crc32 ? { crc32: b.crc32 } : {}) };
  if (!b.patches?.length) return plain;
  return { ...plain, size: b.baseSize, patches: b.patches.map((p) => ({ key: p.key, off: p.off, runs: p.runs })), patchedCrc32: b.patchedCrc32 };
}

/** The fields every stored manifest has, with the version given. */
export function manifestHeader(m: Manifest, version: number): object {
  const { blocks: _b, map: _m, unresolved: _u, ...header } = m;
  return { ...header, version };
}

/** The manifest as stored with its blocks inline: version 3 when a block has patches, else
 *  version 2, which earlier releases of this library read too. */
export function encodeManifest(m: Manifest): Uint8Array {
  const blocks = m.blocks.map((b, i) => encodeEntry(b, blockBytes(m, i)));
  const patched = m.blocks.some((b) => b.patches?.length);
  return new TextEncoder().encode(JSON.stringify({ ...manifestHeader(m, patched ? FORMAT_VERSION : PLAIN_VERSION), blocks }));
}
