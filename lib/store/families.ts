// The files of the bucket a worker knows, by name and grouped by database: each database
// with the files SQLite derives from its name (family.ts), so that "the database of this
// journal" and "the journal of this database" are lookups, not scans of every file.
import type { CachedFile } from './cached-file';
import { databaseOf } from './family';

export class Families {
  private readonly byName = new Map<string, CachedFile>();
  /** The derived names known here, by the name of their database. */
  private readonly derived = new Map<string, Set<string>>();

  get(name: string): CachedFile | undefined {
    return this.byName.get(name);
  }

  set(name: string, file: CachedFile): void {
    this.byName.set(name, file);
    const main = databaseOf(name);
    if (main === undefined) return;
    let names = this.derived.get(main);
    if (!names) this.derived.set(main, (names = new Set()));
    names.add(name);
  }

  delete(name: string): void {
    this.byName.delete(name);
    const main = databaseOf(name);
    const names = main === undefined ? undefined : this.derived.get(main);
    names?.delete(name);
    if (names?.size === 0) this.derived.delete(main!);
  }

  values(): IterableIterator<CachedFile> {
    return this.byName.values();
  }

  /** The database known here that `name` is derived from (none for a database's own name). */
  databaseOf(name: string): CachedFile | undefined {
    const main = databaseOf(name);
    return main === undefined ? undefined : this.byName.get(main);
  }

  /** The name of the database `name` belongs to: its own, unless it is derived from a known one. */
  databaseName(name: string): string {
    return this.databaseOf(name)?.name ?? name;
  }

  /** The derived files known here of the database `main` (its journal, ...). */
  derivedOf(main: string): CachedFile[] {
    return [...(this.derived.get(main) ?? [])].map((n) => this.byName.get(n)!);
  }

  /** The database `name` belongs to and its derived files known here, the database first. */
  family(name: string): CachedFile[] {
    const main = this.databaseName(name);
    const db = this.byName.get(main);
    return [...(db ? [db] : []), ...this.derivedOf(main)];
  }
}
