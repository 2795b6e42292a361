// Replacing a versioned database's manifest: the commit point of a transaction, a
// deserialize or a migration. One conditional PUT, whose outcome is decided, never guessed
// (conditional-put.ts). A PUT whose answer was lost and that has not landed is sent again,
// the very same bytes: it lands now, or a late copy of the first one did (the read-back
// sees it), and either way the commit is done; a copy still on its way later finds the
// manifest changed and is refused by its If-Match.
import { S3VFSError } from '../../errors';
import { putResolved, UnknownOutcomeError } from '../conditional-put';
import { listedKeys, manifestKey, newManifestId, parseManifest, type Manifest } from './manifest';
import { resolveManifest, storeManifest } from './manifest-map';
import type { GetResult, ObjectStore } from '../object-store';

/** The manifest a writer last read or wrote: what its conditional PUT compares with. */
export interface ManifestState {
  manifest: Manifest | null;
  etag: string | undefined;
}

/** Times the same manifest is sent before an outcome that stays unknown is reported. */
const MAX_PUTS = 3;

/**
 * Replaces the manifest of `name`, as `base` last saw it, with `next` (given a new id here).
 * Resolves to the new state. Rejects with ECONFLICT when another writer's manifest is there
 * (nothing changed), with S3's own error when S3 refused the PUT, and with EUNKNOWN when
 * the outcome cannot be found out.
 */
export async function commitManifest(s3: ObjectStore, name: string, base: ManifestState, next: Manifest): Promise<ManifestState> {
  const key = manifestKey(name);
  const id = newManifestId();
  const stored = storeManifest({ ...next, id }, base.manifest);
  const m: Manifest = { ...next, id, map: stored.map };
  const body = stored.root;
  // Map pages go first: the root names them (manifest-map.ts).
  await Promise.all(stored.pages.map((p) => s3.put(`${name}/${p.key}`, p.body)));
  const isBase = (got: GetResult) => (base.etag ? got?.etag === base.etag : got === null);
  let failure: unknown;
  for (let attempt = 0; attempt < MAX_PUTS; attempt++) {
    const r = await putResolved(s3, key, body, base.etag ? { ifMatch: base.etag } : { ifNoneMatch: '*' });
    if (r.applied) return { manifest: m, etag: r.etag };
    failure = r.error;
    if (isBase(r.current)) continue; // not landed (yet): the same bytes again
    if (r.lost) {
      // Reading the other writer's map pages may fail too: the outcome stays unknown then.
      const current = await resolveManifest(s3, name, parseManifest(key, r.current!.body), m).catch((err) => {
        throw new UnknownOutcomeError(key, err);
      });
      // It landed, and another writer (who took the lease over) committed on top of it.
      if (landedBefore(current, m, base.manifest)) return { manifest: current, etag: r.current!.etag };
      if (current.commit >= m.commit) throw new UnknownOutcomeError(key, failure);
    }
    throw new S3VFSError(`the commit to ${key} failed: another writer changed the database meanwhile; nothing was changed`, 'ECONFLICT');
  }
  throw new UnknownOutcomeError(key, failure);
}

/** Whether `current` was written on top of `m`: it lists an object (a block or a patch) `m` added. */
function landedBefore(current: Manifest, m: Manifest, base: Manifest | null): boolean {
  const old = listedKeys(base);
  const listed = listedKeys(current);
  return current.commit >= m.commit && [...listedKeys(m)].some((k) => !old.has(k) && listed.has(k));
}
