// The bytes of one block changed since it last went up, as disjoint ranges in order: what a
// layout that uploads changes rather than blocks (versioned patches) needs to send. A
// block changed in a way not tracked here (truncated, sent whole) has none: it goes up whole.

export class ByteRanges {
  /** [start, end) pairs, ascending, neither overlapping nor touching. */
  private readonly bounds: number[] = [];
  /** Bytes covered. */
  total = 0;

  /** Adds [start, end), merged with the ranges it overlaps or touches. */
  add(start: number, end: number): void {
    if (end <= start) return;
    const b = this.bounds;
    // The first range that ends at or after `start` (it may merge), by binary search.
    let lo = 0;
    let hi = b.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (b[2 * mid + 1] < start) lo = mid + 1;
      else hi = mid;
    }
    let last = lo;
    let s = start;
    let e = end;
    let removed = 0;
    while (last < b.length / 2 && b[2 * last] <= end) {
      s = Math.min(s, b[2 * last]);
      e = Math.max(e, b[2 * last + 1]);
      removed += b[2 * last + 1] - b[2 * last];
      last++;
    }
    b.splice(2 * lo, 2 * (last - lo), s, e);
    this.total += e - s - removed;
  }

  /** The ranges as [start, end) pairs in order. */
  ranges(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.bounds.length; i += 2) out.push([this.bounds[i], this.bounds[i + 1]]);
    return out;
  }
}
