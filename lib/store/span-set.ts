// Disjoint byte spans of one block, kept in order of offset: a spill file's changes not on
// disk yet. A bulk change writes hundreds of pages to a block in any order, so finding the
// spans a new one overlaps must not walk them all (that made each write cost the block's
// whole list of pages).

export class SpanSet {
  /** Start offsets, ascending; the spans do not overlap, so their ends ascend too. */
  private readonly starts: number[] = [];
  private readonly bytes = new Map<number, Uint8Array>();

  get size(): number {
    return this.starts.length;
  }

  /** The spans that share a byte with [start, end), in order. */
  overlapping(start: number, end: number): [number, Uint8Array][] {
    const out: [number, Uint8Array][] = [];
    // The last span starting before `end`, then back while the spans still reach `start`.
    for (let i = this.firstAtOrAfter(end) - 1; i >= 0; i--) {
      const s = this.starts[i];
      const b = this.bytes.get(s)!;
      if (s + b.length <= start) break;
      out.unshift([s, b]);
    }
    return out;
  }

  /** Adds a span that overlaps none (or replaces the one at the same start). */
  set(start: number, b: Uint8Array): void {
    if (!this.bytes.has(start)) this.starts.splice(this.firstAtOrAfter(start), 0, start);
    this.bytes.set(start, b);
  }

  delete(start: number): void {
    if (!this.bytes.delete(start)) return;
    this.starts.splice(this.firstAtOrAfter(start), 1);
  }

  /** The spans in order of offset. */
  entries(): [number, Uint8Array][] {
    return this.starts.map((s) => [s, this.bytes.get(s)!]);
  }

  values(): IterableIterator<Uint8Array> {
    return this.bytes.values();
  }

  /** The index of the first start ≥ `offset`. */
  private firstAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
