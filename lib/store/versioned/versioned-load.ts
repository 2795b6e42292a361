// deserialize into a versioned database: every block becomes a new object, and one
// conditional PUT of the manifest replaces the whole database at once (or fails, and
// the database stays as it was). Blocks of a failed load are deleted. It holds the write
// lease throughout, like any writer: a writer at work makes it fail with EBUSY, and
// writers that hold the lease may trust their cached manifest.
import { S3VFSError } from '../../errors';
import { blockCount } from '../blocks';
import { blockCrc32, emptyManifest, newBlockKey, pageSizeOf, type BlockEntry, type Manifest } from './manifest';
import type { Lease } from './lease';
import type { Replacement } from '../cached-file';
import { commitManifest } from './manifest-commit';
import type { ObjectStore } from '../object-store';

export class VersionedLoad implements Replacement {
  private readonly keys = new Map<number, BlockEntry>();
  private readonly commitNo: number;
  private readonly blockSize: number;

  constructor(
    private readonly name: string,
    private readonly s3: ObjectStore,
    private readonly base: Manifest | null,
    private readonly etag: string | undefined,
    newBlockSize: number,
    private readonly lease: Lease,
  ) {
    this.commitNo = (base?.commit ?? 0) + 1;
    this.blockSize = newBlockSize; // a whole new database may change the block size
  }

  async putBlock(index: number, bytes: Uint8Array): Promise<void> {
    if (bytes.length > this.blockSize) throw new S3VFSError(`block ${index} of '${this.name}' has ${bytes.length} bytes, more than the block size ${this.blockSize}`, 'EBLOCKSIZE');
    const key = newBlockKey(index, this.commitNo);
    await this.lease.renewIfDue();
    await this.s3.put(`${this.name}/${key}`, bytes);
    this.keys.set(index, { key, crc32: blockCrc32(bytes) });
  }

  async commit(size: number, block0: Uint8Array): Promise<void> {
    await this.putBlock(0, block0);
    const count = blockCount(size, this.blockSize);
    const blocks: BlockEntry[] = [];
    for (let i = 0; i < count; i++) {
      const key = this.keys.get(i);
      if (!key) throw new S3VFSError(`deserialize of '${this.name}' is missing block ${i}`, 'EINVAL');
      blocks.push(key);
    }
    const old = this.base ?? emptyManifest(this.blockSize);
    await this.lease.renewIfDue();
    const generation = this.lease.generation ?? old.generation;
    const next: Manifest = { ...old, blockSize: this.blockSize, pageSize: pageSizeOf(block0), size, commit: this.commitNo, generation, blocks };
    try {
      await commitManifest(this.s3, this.name, { manifest: this.base, etag: this.etag }, next);
    } catch (err) {
      // Its blocks are no one's (an unknown outcome keeps them: the manifest may list them).
      if ((err as S3VFSError).code === 'EUNKNOWN') await this.lease.release();
      else await this.abort();
      if ((err as S3VFSError).code === 'ECONFLICT') {
        throw new S3VFSError(`deserialize into '${this.name}' lost a race: another writer committed meanwhile; nothing was changed`, 'ECONFLICT');
      }
      throw err;
    }
    await this.lease.release();
  }

  /** Every block this load wrote goes (they are all new objects, whatever `fromIndex`). */
  async abort(): Promise<void> {
    const keys = [...this.keys.values()].map((b) => `${this.name}/${b.key}`);
    try {
      if (keys.length) await this.s3.deleteKeys(keys);
    } finally {
      await this.lease.release();
    }
  }
}
