// Bounds the memory that clean cached blocks take, across all files, least recently
// used first. Dirty blocks are never in here: they leave only by being uploaded.
import type { Counters } from '../stats';

export interface CacheOwner {
  evictBlock(index: number): void;
}

export class BlockCache {
  private readonly lru = new Map<string, { owner: CacheOwner; index: number; bytes: number }>();
  private bytes = 0;
  constructor(
    readonly limitBytes: number,
    readonly counters: Counters,
  ) {}

  private static key(ownerId: number, index: number): string {
    return `${ownerId}:${index}`;
  }

  touch(ownerId: number, index: number): void {
    const k = BlockCache.key(ownerId, index);
    const e = this.lru.get(k);
    if (e) {
      this.lru.delete(k);
      this.lru.set(k, e);
    }
  }

  add(ownerId: number, owner: CacheOwner, index: number, bytes: number): void {
    this.remove(ownerId, index);
    this.lru.set(BlockCache.key(ownerId, index), { owner, index, bytes });
    this.bytes += bytes;
    for (const [k, e] of this.lru) {
      if (this.bytes <= this.limitBytes) break;
      this.lru.delete(k);
      this.bytes -= e.bytes;
      e.owner.evictBlock(e.index);
    }
  }

  remove(ownerId: number, index: number): void {
    const k = BlockCache.key(ownerId, index);
    const e = this.lru.get(k);
    if (e) {
      this.lru.delete(k);
      this.bytes -= e.bytes;
    }
  }

  get size(): number {
    return this.bytes;
  }
}
