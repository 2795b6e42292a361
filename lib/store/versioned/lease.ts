// The single-writer lease of a versioned database: the object N/lease.json, created with
// If-None-Match: * and changed only with If-Match, so two writers can never both believe
// they hold it. Each holder gets a generation one higher than the last; the manifest
// records the generation of the writer that wrote it, and the new holder's first act is
// to rewrite the manifest (a compare-and-swap), which fences out an older holder that
// still thinks its lease runs (a paused process): its next commit's CAS fails.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { S3VFSError } from '../../errors';
import { SQLITE_BUSY } from '../../sqlite-codes';
import { putResolved } from '../conditional-put';
import type { ObjectStore } from '../object-store';

export interface LeaseBody {
  /** Who holds it: host, process and a random id per VFS. */
  owner: string;
  /** Epoch milliseconds after which anyone may take it over. */
  expiresAt: number;
  generation: number;
  /** Set by the holder when it lets go before expiry. */
  released?: boolean;
}

/** Another writer holds the lease: SQLite sees SQLITE_BUSY and may retry (its busy timeout). */
export class BusyError extends S3VFSError {
  readonly sqliteStatus = SQLITE_BUSY;
  constructor(message: string) {
    super(message, 'EBUSY');
  }
}

export const VFS_OWNER = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

export class Lease {
  private held: LeaseBody | null = null;
  private etag: string | undefined;

  constructor(
    private readonly s3: ObjectStore,
    private readonly key: string,
    private readonly ttlMs: number,
    private readonly owner = VFS_OWNER,
  ) {}

  get generation(): number | undefined {
    return this.held?.generation;
  }

  /** Held, with at least half its time left: no other writer can have taken it. */
  get heldFresh(): boolean {
    return this.fresh(Date.now());
  }

  /** Held and not about to expire. */
  private fresh(now: number): boolean {
    return !!this.held && this.held.expiresAt - now > this.ttlMs / 2;
  }

  /**
   * Takes the lease, or keeps it fresh if held. True when this took it anew (a new
   * generation: the caller must claim the manifest). Throws BusyError if another
   * writer holds it, and a lost lease (taken over after it expired) the same way.
   */
  async acquire(minGeneration: number, tries = 0): Promise<boolean> {
    const now = Date.now();
    if (this.fresh(now)) return false;
    if (this.held) {
      await this.renew();
      return false;
    }
    const body: LeaseBody = { owner: this.owner, expiresAt: now + this.ttlMs, generation: minGeneration + 1 };
    const created = await putResolved(this.s3, this.key, encode(body), { ifNoneMatch: '*' });
    if (created.applied) {
      this.etag = created.etag;
      this.held = body;
      return true;
    }
    const got = created.current;
    if (!got) {
      if (created.lost) throw created.error; // not created, and S3 did not say why
      if (tries >= 3) throw new BusyError(`the lease ${this.key} keeps appearing and vanishing: other writers are at work`);
      return this.acquire(minGeneration, tries + 1); // released and deleted meanwhile
    }
    const current = decode(this.key, got.body);
    if (!current.released && current.expiresAt > Date.now() && current.owner !== this.owner) {
      throw new BusyError(
        `database is being written by ${current.owner} (lease ${this.key} held until ${new Date(current.expiresAt).toISOString()})`,
      );
    }
    // Expired, released, or ours from before: take it over with a higher generation.
    const next: LeaseBody = { owner: this.owner, expiresAt: Date.now() + this.ttlMs, generation: Math.max(current.generation, minGeneration) + 1 };
    const taken = await putResolved(this.s3, this.key, encode(next), { ifMatch: got.etag! });
    if (!taken.applied) throw new BusyError(`another writer took the lease ${this.key} at the same moment`);
    this.etag = taken.etag;
    this.held = next;
    return true;
  }

  /** Extends the lease if it is half spent; a lease taken over meanwhile throws. */
  async renewIfDue(): Promise<void> {
    if (this.held && !this.fresh(Date.now())) await this.renew();
  }

  private async renew(): Promise<void> {
    const next = { ...this.held!, expiresAt: Date.now() + this.ttlMs };
    let renewed;
    try {
      renewed = await putResolved(this.s3, this.key, encode(next), { ifMatch: this.etag! });
    } catch (err) {
      // Whether this writer still holds the lease is not known: it may not commit. The
      // commit that needed the renewal has not been attempted, so it fails for sure.
      this.held = null;
      throw new S3VFSError(`the write lease ${this.key} could not be renewed: ${(err as Error).message}; nothing was committed`, 'ELEASE');
    }
    if (!renewed.applied) {
      this.held = null;
      throw new BusyError(`the write lease ${this.key} expired and another writer took it over: this writer may not commit`);
    }
    this.etag = renewed.etag;
    this.held = next;
  }

  /** Lets go of the lease, if held, so that the next writer need not wait for it to expire. */
  async release(): Promise<void> {
    if (!this.held) return;
    const body = { ...this.held, expiresAt: 0, released: true };
    this.held = null;
    // Not applied: taken over already, nothing to release.
    await putResolved(this.s3, this.key, encode(body), { ifMatch: this.etag! });
  }
}

function encode(body: LeaseBody): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(body));
}

function decode(key: string, bytes: Uint8Array): LeaseBody {
  try {
    const b = JSON.parse(new TextDecoder().decode(bytes)) as LeaseBody;
    if (typeof b.owner === 'string' && Number.isFinite(b.expiresAt) && Number.isSafeInteger(b.generation)) return b;
  } catch {
    // fall through
  }
  throw new S3VFSError(`${key} is not a sqlite-s3vfs lease object`, 'EBADLEASE');
}
