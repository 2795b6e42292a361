// A journal of a versioned database. It never goes to S3: the manifest's conditional PUT
// makes commits atomic without it, so it only serves SQLite's own rollback within this
// process. Its content is the main thread's (CachedFile.local in native/block_cache.h):
// the worker only knows that it exists.
import { CachedFile, type Replacement } from '../cached-file';
import { S3VFSError } from '../../errors';

export class MemoryFile extends CachedFile {
  async load(): Promise<void> {
    this.size = 0;
  }

  get ordered(): boolean {
    return false;
  }

  override get inMemory(): boolean {
    return true;
  }

  protected keyOf(index: number): string {
    throw new S3VFSError(`block ${index} of '${this.name}' is in memory only: it has no object`, 'EPROTO');
  }

  override get isDirty(): boolean {
    return false;
  }

  override get dirtyBytes(): number {
    return 0;
  }

  async upload(): Promise<void> {}

  async commit(): Promise<void> {}

  async revalidate(): Promise<boolean> {
    return false;
  }

  async remove(): Promise<void> {
    this.dropCache();
    this.size = 0;
  }

  async derivedFile(name: string): Promise<CachedFile> {
    return new MemoryFile(name, this.ctx, this.B);
  }

  async startReplace(): Promise<Replacement> {
    throw new S3VFSError(`'${this.name}' is a journal in memory, not a database`, 'EPROTO');
  }
}
