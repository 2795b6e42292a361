// Page-granular commits (docs/FORMAT.md, "Patches"): a block of which only a few pages
// changed goes up as those pages, gathered with other blocks' changes in one patch object,
// rather than whole. A one-row commit then uploads kilobytes instead of a block (1 MiB by
// default) per block it touched. A block's patches pile up over commits; past MAX_PATCHES,
// its next patch holds every run of the ones before and replaces them, and once its runs
// would hold more than a quarter of it, it goes up whole again. So a read never needs more
// than MAX_PATCHES + 1 objects for a block, nor fetches more than a quarter block of patches.
import { ByteRanges } from '../byte-ranges';
import { runBytes, type BlockEntry, type PatchRef } from './manifest';

/** Patches a block may have; the next one replaces them all. */
export const MAX_PATCHES = 4;
/** A block whose patches would hold more than this fraction of it goes up whole. */
const MAX_PATCHED_FRACTION = 0.25;
/** Blocks whose changes share one patch object, at most: a reader fetches its block's
 *  runs with one range GET whatever the object's size, but a writer holds them all. */
export const MAX_BLOCKS_PER_PATCH = 256;

/** A block's next patch: its runs ([at, len, ...]), and whether it replaces the block's
 *  patches (it then holds their runs too) rather than following them. */
export interface PatchPlan {
  runs: number[];
  replaces: boolean;
}

/**
 * The patch to upload for a block changed in `ranges` since `entry` (its object and patches
 * as they stand), now `length` bytes long; undefined when it should go up whole: new,
 * changed in untracked ways, shrunk, or changed in too much of it.
 */
export function planPatch(entry: BlockEntry | undefined, baseSize: number, ranges: ByteRanges | null | undefined, length: number, blockSize: number): PatchPlan | undefined {
  if (!entry || !ranges || ranges.total === 0 || length < baseSize) return undefined;
  const patches = entry.patches ?? [];
  const replaces = patches.length >= MAX_PATCHES;
  let all = ranges;
  if (replaces) {
    all = new ByteRanges();
    for (const p of patches) for (let k = 0; k < p.runs.length; k += 2) all.add(p.runs[k], p.runs[k] + p.runs[k + 1]);
    for (const [s, e] of ranges.ranges()) all.add(s, e);
  }
  // Overlaps between patches count twice: a bound on what a read fetches, not the union.
  const patched = replaces ? 0 : patches.reduce((n, p) => n + runBytes(p.runs), 0);
  if (patched + all.total > blockSize * MAX_PATCHED_FRACTION) return undefined;
  const runs: number[] = [];
  for (const [s, e] of all.ranges()) runs.push(s, e - s);
  return { runs, replaces };
}

/** The bytes of `content` that `runs` name, one after another. */
export function runsOf(content: Uint8Array, runs: number[]): Uint8Array {
  const out = new Uint8Array(runBytes(runs));
  let at = 0;
  for (let k = 0; k < runs.length; k += 2) {
    out.set(content.subarray(runs[k], runs[k] + runs[k + 1]), at);
    at += runs[k + 1];
  }
  return out;
}

/** Where one block's runs lie in its patch object: bytes [off, off + runBytes(runs)). */
export function patchRange(p: PatchRef): { start: number; end: number } {
  return { start: p.off, end: p.off + runBytes(p.runs) };
}

/**
 * A block of `length` bytes rebuilt from its base object's bytes and, for each of its
 * patches in order, the bytes of that patch's range (patchRange).
 */
export function applyPatches(base: Uint8Array, length: number, patches: PatchRef[], ranges: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(length);
  out.set(base.subarray(0, Math.min(base.length, length)));
  patches.forEach((p, j) => {
    let at = 0;
    for (let k = 0; k < p.runs.length; k += 2) {
      out.set(ranges[j].subarray(at, at + p.runs[k + 1]), p.runs[k]);
      at += p.runs[k + 1];
    }
  });
  return out;
}
