// vfs.migrate(): a seed-layout database becomes a versioned one in place, with no copy.
// The manifest may list seed block keys ("N/0000000000", ...), so migration is one
// PUT of a manifest listing the blocks the database has now, made with If-None-Match: *
// (of two migrations at once, one wins). From then on every write makes new block
// objects and the seed blocks are left as they were, for gc to delete once replaced.
import { S3VFSError } from '../errors';
import { SeedFile } from './compat/seed-file';
import type { StoreContext } from './store-context';
import { blockKey, blockPrefix } from './compat/block-layout';
import { blockCount } from './blocks';
import { emptyManifest, manifestKey, pageSizeOf, parseManifest, type Manifest } from './versioned/manifest';
import { commitManifest } from './versioned/manifest-commit';

export interface MigrateReport {
  /** False when the database was versioned already. */
  migrated: boolean;
  size: number;
  blocks: number;
}

const SQLITE_MAGIC = 'SQLite format 3\0';

export async function migrateToVersioned(ctx: StoreContext, name: string): Promise<MigrateReport> {
  const { s3 } = ctx;
  const existing = await s3.get(manifestKey(name));
  if (existing) return already(parseManifest(manifestKey(name), existing.body));

  const seed = await SeedFile.open(name, ctx);
  if (!seed.exists) throw new S3VFSError(`no database at ${blockPrefix(name)} to migrate (no manifest and no seed blocks)`, 'ENOENT');
  await ctx.conditional.verify(name);
  const journal = (await s3.list(blockPrefix(`${name}-journal`))).map((o) => o.key);
  if (journal.length && (await isHot(ctx, `${name}-journal`))) {
    throw new S3VFSError(
      `'${name}' has a hot journal (${name}-journal/): a seed-layout writer is at work or died mid-transaction; ` +
        'opening the database rolls it back',
      'EHOTJOURNAL',
    );
  }

  const header = await s3.get(blockKey(name, 0), { start: 0, end: 100 });
  if (!header || new TextDecoder('latin1').decode(header.body.subarray(0, 16)) !== SQLITE_MAGIC) {
    throw new S3VFSError(`${blockKey(name, 0)} does not start with a SQLite header: '${name}' is not a SQLite database`, 'ENOTADB');
  }
  const count = blockCount(seed.size, seed.B);
  const manifest: Manifest = {
    ...emptyManifest(seed.B),
    pageSize: pageSizeOf(header.body),
    size: seed.size,
    blocks: Array.from({ length: count }, (_, i) => ({ key: seed.objectKey(i).slice(name.length + 1) })),
  };
  try {
    await commitManifest(s3, name, { manifest: null, etag: undefined }, manifest);
  } catch (err) {
    if ((err as S3VFSError).code !== 'ECONFLICT') throw err;
    const won = await s3.get(manifestKey(name)); // another migration (or writer) was first
    if (!won) throw err;
    return already(parseManifest(manifestKey(name), won.body));
  }
  // The journal is not hot (its header is zeroed): no reader needs it any more.
  if (journal.length) await s3.deleteKeys(journal);
  return { migrated: true, size: seed.size, blocks: count };
}

function already(m: Manifest): MigrateReport {
  return { migrated: false, size: m.size, blocks: blockCount(m.size, m.blockSize) };
}

/** SQLite's test: a journal whose first byte is not zero is hot (PERSIST mode zeroes it). */
async function isHot(ctx: StoreContext, journalName: string): Promise<boolean> {
  const first = await ctx.s3.get(blockKey(journalName, 0), { start: 0, end: 1 });
  return !!first && first.body.length > 0 && first.body[0] !== 0;
}
