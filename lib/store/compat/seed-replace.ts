// vfs.deserialize into the seed layout: blocks 1.. are written in place, then block 0 last
// (until then the prefix holds no database a reader would open, and block 0 tells the
// block size); blocks past the new end are deleted before it. The seed layout has no way to
// make the whole replacement atomic for a reader of the old database: deserialize refuses
// a database open in this process, and the README says to keep other readers away.
import type { Replacement } from '../cached-file';
import { blockCount } from '../blocks';
import type { ObjectStore } from '../object-store';
import { blockIndexOf, blockKey, blockPrefix } from './block-layout';

export class SeedReplace implements Replacement {
  constructor(
    private readonly name: string,
    private readonly s3: ObjectStore,
    private readonly blockSize: number,
  ) {}

  async putBlock(index: number, bytes: Uint8Array): Promise<void> {
    await this.s3.put(blockKey(this.name, index), bytes);
  }

  async commit(size: number, block0: Uint8Array): Promise<void> {
    const count = blockCount(size, this.blockSize);
    const listed = await this.s3.list(blockPrefix(this.name));
    const stale = listed.filter((o) => blockIndexOf(this.name, o.key) >= count).map((o) => o.key);
    if (stale.length) await this.s3.deleteKeys(stale);
    await this.s3.put(blockKey(this.name, 0), block0);
  }

  /** Removes the blocks this load wrote, from `fromIndex`, unless a database lives here. */
  async abort(fromIndex: number): Promise<void> {
    const listed = await this.s3.list(blockPrefix(this.name));
    if (listed.some((o) => blockIndexOf(this.name, o.key) === 0)) return; // an older database lives here
    const mine = listed.filter((o) => blockIndexOf(this.name, o.key) >= fromIndex).map((o) => o.key);
    if (mine.length) await this.s3.deleteKeys(mine);
  }
}
