// Garbage collection of a versioned database (docs/FORMAT.md, "Garbage collection").
// A commit leaves behind the block objects it replaced, because a reader whose
// transaction began on the older manifest may still read them. gc deletes a block
// object only when all of these hold:
//  - the current manifest does not list it (a key, once dropped, is never listed again:
//    keys are never reused);
//  - its commit number is not above the manifest's (above, it is a writer's upload that
//    its commit will list);
//  - it has been unreferenced for at least `olderThan`: either the manifest itself is
//    that old, so every block it does not list was dropped before, or an earlier gc run
//    recorded the block as unreferenced at least that long ago (in N/gc.json).
// The record is what lets gc make progress on a database written continuously.
import { S3VFSError } from '../../errors';
import { resolveManifest } from './manifest-map';
import { blockKeyParts, gcStateKey, listedKeys, manifestKey, parseManifest, storedKeyCommit, versionedBlockPrefix } from './manifest';
import type { ObjectStore } from '../object-store';

export interface GcReport {
  /** The commit whose manifest gc kept. */
  commit: number;
  /** Block objects the manifest lists (never deleted). */
  referenced: number;
  deleted: number;
  deletedBytes: number;
  /** Unreferenced blocks left for a later run: not yet unreferenced for `olderThan`. */
  waiting: number;
  /** Blocks uploaded for a commit not made yet (a writer at work, or one that died). */
  inFlight: number;
}

export const GC_FORMAT = 'sqlite-s3vfs/gc';

interface GcState {
  format: typeof GC_FORMAT;
  version: 1;
  /** Block keys (relative to "N/") and when a gc run first saw each unreferenced (epoch ms). */
  seen: { at: number; keys: string[] }[];
}

// LastModified has whole seconds: the manifest may be up to a second younger than it says.
const HTTP_DATE_RESOLUTION_MS = 1000;

export async function collectGarbage(s3: ObjectStore, name: string, olderThanMs: number): Promise<GcReport> {
  const start = Date.now();
  const got = await s3.get(manifestKey(name));
  const seenAt = Date.now();
  if (!got) {
    const top = await s3.list(`${name}/`);
    if (top.some((o) => blockKeyParts(o.key.slice(name.length + 1))?.commit === 0)) {
      throw new S3VFSError(
        `'${name}' is in the seed layout, which overwrites its blocks in place and leaves nothing to collect; vfs.migrate('${name}') converts it`,
        'ELAYOUT',
      );
    }
    throw new S3VFSError(`no database at ${manifestKey(name)}`, 'ENOENT');
  }
  const manifest = await resolveManifest(s3, name, parseManifest(manifestKey(name), got.body));
  const referenced = listedKeys(manifest);
  const manifestAt = got.lastModified ? got.lastModified.getTime() + HTTP_DATE_RESOLUTION_MS : seenAt;

  const [top, versioned] = await Promise.all([s3.list(`${name}/`), s3.list(versionedBlockPrefix(name))]);
  const candidates: { rel: string; size: number }[] = [];
  let inFlight = 0;
  for (const o of [...top, ...versioned]) {
    const rel = o.key.slice(name.length + 1);
    const commit = storedKeyCommit(rel);
    if (commit === null || referenced.has(rel)) continue;
    if (commit > manifest.commit) inFlight++;
    else candidates.push({ rel, size: o.size });
  }

  const { firstSeen, recorded } = await readState(s3, name);
  const cutoff = start - olderThanMs;
  const old = (rel: string) => olderThanMs === 0 || manifestAt <= cutoff || (firstSeen.get(rel) ?? Infinity) <= cutoff;
  const doomed = candidates.filter((c) => old(c.rel));
  // Probe objects a worker died before deleting (conditional-probe.ts).
  const probes = top.filter((o) => PROBE.test(o.key) && (olderThanMs === 0 || (o.lastModified?.getTime() ?? Infinity) <= cutoff)).map((o) => o.key);
  if (doomed.length || probes.length) await s3.deleteKeys([...doomed.map((c) => `${name}/${c.rel}`), ...probes]);

  const waiting = candidates.filter((c) => !old(c.rel)).map((c) => c.rel);
  if (waiting.length) await writeState(s3, name, waiting, firstSeen, seenAt);
  else if (recorded) await s3.deleteKeys([gcStateKey(name)]);
  return {
    commit: manifest.commit,
    referenced: referenced.size,
    deleted: doomed.length,
    deletedBytes: doomed.reduce((n, c) => n + c.size, 0),
    waiting: waiting.length,
    inFlight,
  };
}

const PROBE = /\/probe\.[0-9a-f]{12}$/;

/** When earlier runs first saw each block unreferenced; an unreadable record is ignored
 *  (it only ever lets gc delete sooner). */
async function readState(s3: ObjectStore, name: string): Promise<{ firstSeen: Map<string, number>; recorded: boolean }> {
  const seen = new Map<string, number>();
  const got = await s3.get(gcStateKey(name));
  if (!got) return { firstSeen: seen, recorded: false };
  try {
    const state = JSON.parse(new TextDecoder().decode(got.body)) as GcState;
    if (state.format !== GC_FORMAT || !Array.isArray(state.seen)) return { firstSeen: seen, recorded: true };
    for (const { at, keys } of state.seen) {
      if (!Number.isFinite(at) || !Array.isArray(keys)) continue;
      for (const k of keys) if (typeof k === 'string') seen.set(k, Math.min(at, seen.get(k) ?? Infinity));
    }
  } catch {
    // not ours or damaged: start a new record
  }
  return { firstSeen: seen, recorded: true };
}

async function writeState(s3: ObjectStore, name: string, waiting: string[], firstSeen: Map<string, number>, now: number): Promise<void> {
  const byTime = new Map<number, string[]>();
  for (const rel of waiting) {
    const at = firstSeen.get(rel) ?? now;
    const group = byTime.get(at);
    if (group) group.push(rel);
    else byTime.set(at, [rel]);
  }
  const state: GcState = {
    format: GC_FORMAT,
    version: 1,
    seen: [...byTime].sort((a, b) => a[0] - b[0]).map(([at, keys]) => ({ at, keys })),
  };
  await s3.put(gcStateKey(name), new TextEncoder().encode(JSON.stringify(state)));
}
