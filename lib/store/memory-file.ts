// A journal of a versioned database. It never goes to S3: the manifest's conditional PUT
// makes commits atomic without it, so it only serves SQLite's own rollback within this
// process. Its blocks stay written (dirty), so the cache never evicts them.
import { BlockFile } from './block-file';

export class MemoryFile extends BlockFile {
  override async load(): Promise<void> {
    this.size = 0;
  }

  override get isDirty(): boolean {
    return false;
  }

  override get dirtyBytes(): number {
    return 0;
  }

  override async flush(): Promise<void> {}

  override async spill(): Promise<void> {}

  override async revalidate(): Promise<boolean> {
    return false;
  }

  override async remove(): Promise<void> {
    this.dropCache();
    this.size = 0;
  }
}
