// Replacing a versioned database's manifest: the commit point of a transaction, a
// deserialize or a migration. One conditional PUT, whose outcome is decided, never guessed
// (conditional-put.ts). A PUT whose answer was lost and that did not land may land later
// still: before the commit is reported as failed, the manifest there is written again
// with a new id (a fence: its ETag changes, so that late copy's If-Match fails).
import { S3VFSError } from '../errors';
import { putResolved, UnknownOutcomeError, type PutOutcome } from './conditional-put';
import { emptyManifest, encodeManifest, manifestKey, newManifestId, type Manifest } from './manifest';
import type { GetResult, S3Objects } from './s3-objects';

/** The manifest a writer last read or wrote: what its conditional PUT compares with. */
export interface ManifestState {
  manifest: Manifest | null;
  etag: string | undefined;
}

const MAX_FENCES = 3;

/** S3 did not apply the commit, and never will: the manifest is the fence written instead,
 *  whose state the writer must take as its own. */
export class CommitNotAppliedError extends S3VFSError {
  constructor(
    message: string,
    readonly state: ManifestState,
  ) {
    super(message, 'ECOMMIT');
  }
}

/**
 * Replaces the manifest of `name`, as `base` last saw it, with `next` (given a new id here).
 * Resolves to the new state. Rejects with ECONFLICT when another writer's manifest is there,
 * CommitNotAppliedError when S3 did not apply it (nothing changed), EUNKNOWN when that
 * cannot be found out.
 */
export async function commitManifest(s3: S3Objects, name: string, base: ManifestState, next: Manifest): Promise<ManifestState> {
  const key = manifestKey(name);
  const m: Manifest = { ...next, id: newManifestId() };
  const isBase = (got: GetResult) => (base.etag ? got?.etag === base.etag : got === null);
  let r: PutOutcome = await putResolved(s3, key, encodeManifest(m), base.etag ? { ifMatch: base.etag } : { ifNoneMatch: '*' });
  const failure = r.applied ? undefined : r.error;
  for (let fences = 0; !r.applied && r.lost && isBase(r.current) && fences < MAX_FENCES; fences++) {
    const fence: Manifest = { ...(base.manifest ?? emptyManifest(next.blockSize)), id: newManifestId() };
    const f = await putResolved(s3, key, encodeManifest(fence), r.current ? { ifMatch: r.current.etag! } : { ifNoneMatch: '*' });
    if (f.applied) {
      throw new CommitNotAppliedError(`the commit to ${key} failed: S3 did not apply it (${describe(failure)}); nothing was changed`, {
        manifest: fence,
        etag: f.etag,
      });
    }
    // Something landed before the fence: this commit's late copy, or another writer's.
    r = f.current && idOf(f.current.body) === m.id ? { applied: true, etag: f.current.etag } : f;
  }
  if (r.applied) return { manifest: m, etag: r.etag };
  if (r.lost && isBase(r.current)) throw new UnknownOutcomeError(key, failure);
  throw new S3VFSError(`the commit to ${key} failed: another writer changed the database meanwhile; nothing was changed`, 'ECONFLICT');
}

function idOf(body: Uint8Array): string | undefined {
  try {
    return (JSON.parse(new TextDecoder().decode(body)) as Manifest).id;
  } catch {
    return undefined;
  }
}

function describe(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}
