// The versioned layout (docs/FORMAT.md): a database named N is the object N/manifest.json,
// which lists immutable block objects. Replacing the manifest with a conditional PUT is
// the commit point; the lease object N/lease.json says which writer may do it.
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { S3VFSError } from '../../errors';

export const FORMAT = 'sqlite-s3vfs/versioned';
/** The version this library writes; it reads 1 too (block keys without checksums). */
export const FORMAT_VERSION = 2;

/** One block of the database: its object, and the CRC32 of its bytes when known. */
export interface BlockEntry {
  /** The object's key, relative to "N/". */
  key: string;
  /** 8 lower-case hex digits (IEEE CRC-32, as zlib's crc32); absent for blocks listed by a
   *  version 1 manifest or adopted from the seed layout by migrate. */
  crc32?: string;
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

const VERSIONED_KEY = /^v\/(\d{10})\.(\d+)\.[0-9a-f]+$/;
const SEED_KEY = /^\d{10}$/;

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

/** Parses and checks a manifest; an error names the object and what is wrong with it. */
export function parseManifest(key: string, bytes: Uint8Array): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new S3VFSError(`${key} is not a sqlite-s3vfs manifest: ${(err as Error).message}`, 'EBADMANIFEST');
  }
  const bad = (what: string) => new S3VFSError(`${key} is not a valid sqlite-s3vfs manifest: ${what}`, 'EBADMANIFEST');
  if (!m || m.format !== FORMAT) throw bad(`format is ${JSON.stringify(m?.format)}, expected "${FORMAT}"`);
  if (m.version !== 1 && m.version !== 2) throw bad(`version ${m.version} is not supported (this library reads versions 1 and 2)`);
  for (const field of ['blockSize', 'size', 'commit', 'generation', 'pageSize'] as const) {
    if (!Number.isSafeInteger(m[field]) || m[field] < 0) throw bad(`${field} is ${JSON.stringify(m[field])}`);
  }
  if (m.blockSize <= 0) throw bad('blockSize is 0');
  if (!Array.isArray(m.blocks) || m.blocks.length !== Math.ceil(m.size / m.blockSize)) {
    throw bad(`it lists ${m.blocks?.length} blocks for ${m.size} bytes in blocks of ${m.blockSize}`);
  }
  const raw = m.blocks as unknown[];
  const entries: BlockEntry[] = raw.map((b, i) => {
    // Version 1 lists keys; version 2 lists { key, size, crc32 }.
    const e = (m.version === 1 ? { key: b } : b) as { key?: unknown; size?: unknown; crc32?: unknown };
    if (!e || typeof e.key !== 'string' || !e.key || e.key.startsWith('/') || e.key.split('/').some((s) => s === '..' || s === '.')) {
      throw bad(`block ${i} has no relative key`);
    }
    if (m.version === 2 && e.size !== blockBytes(m, i)) throw bad(`block ${i} has size ${JSON.stringify(e.size)}, expected ${blockBytes(m, i)}`);
    if (e.crc32 !== undefined && (typeof e.crc32 !== 'string' || !/^[0-9a-f]{8}$/.test(e.crc32))) throw bad(`block ${i} has crc32 ${JSON.stringify(e.crc32)}`);
    return e.crc32 === undefined ? { key: e.key } : { key: e.key, crc32: e.crc32 as string };
  });
  if (m.id !== undefined && typeof m.id !== 'string') throw bad(`id is ${JSON.stringify(m.id)}`);
  return { ...m, version: FORMAT_VERSION, blocks: entries };
}

/** Bytes in block i of the database a manifest describes. */
function blockBytes(m: Pick<Manifest, 'size' | 'blockSize'>, i: number): number {
  return Math.max(0, Math.min(m.blockSize, m.size - i * m.blockSize));
}

/** The manifest as stored: always the version this library writes. */
export function encodeManifest(m: Manifest): Uint8Array {
  const blocks = m.blocks.map((b, i) => ({ key: b.key, size: blockBytes(m, i), ...(b.crc32 ? { crc32: b.crc32 } : {}) }));
  return new TextEncoder().encode(JSON.stringify({ ...m, version: FORMAT_VERSION, blocks }));
}
