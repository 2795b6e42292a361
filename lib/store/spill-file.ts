// Blocks written by a transaction larger than the memory cache wait here, on this machine's
// disk, until the file uploads them (the commit, or a seed-layout sync). Uploading them to
// S3 early instead, as this store once did, sent a block up again each time the
// transaction touched it again: a load of 50,000-row transactions into a 40 MB database
// with 3 indexes uploaded 13 GB. A spilled block is changed in place here, a page at a
// time, so a transaction costs the disk about what SQLite wrote and S3 one PUT per block.
//
// Block i lives at byte i * slotBytes of one sparse file. The file is deleted from its
// directory as soon as it is opened (the open handle keeps it), so that a crash leaves
// nothing behind, and closed once it holds no block, which gives its space back.
//
// Changes wait in memory (`pending`) and go to disk together: one at a time, each would
// wait for a thread of libuv's pool (about 50 µs, far more under load), on the main
// thread's time. Flushes run one after another, and every disk operation waits for the
// one under way, so that bytes of an older change never land after newer ones. A failed
// write fails every later operation (the transaction then fails at its commit, as a disk
// whose write-back failed fails the fsync), since the changes it held are gone.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { S3VFSError } from '../errors';
import { pread, pwrite, pwritev } from './fd-io';
import { SpanSet } from './span-set';

/** Bytes of changes held in memory before they go to disk. */
const PENDING_BYTES = 2 << 20;
/** Spans written by one call at most (systems limit the buffers of one write to 1,024). */
const MAX_RUN_PARTS = 512;

/** Waits for every promise, then rejects with the first failure if any. */
async function settleAll(all: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(all)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export class SpillFile {
  private handle: Promise<fs.promises.FileHandle> | undefined;
  /** Where each spilled block's bytes are valid: block index -> its length. */
  private readonly lengths = new Map<number, number>();
  /** Changes not on disk yet, by block: disjoint spans (offset in the block -> bytes). */
  private pending = new Map<number, SpanSet>();
  private pendingBytes = 0;
  /** The flush under way, if any. */
  private flushing: Promise<void> = Promise.resolve();
  /** Why the spill file can no longer be trusted (a write failed). */
  private failed: Error | undefined;
  /** Bumped by clear(): a flush of blocks forgotten since cannot fail what came after. */
  private epoch = 0;
  /** Operations under way on the handle: it is closed only when none is. */
  private busy = 0;
  private unlinkOnClose: string | undefined;

  constructor(
    private slotBytes: number,
    private readonly dir: string = os.tmpdir(),
  ) {}

  has(index: number): boolean {
    return this.lengths.has(index);
  }

  get count(): number {
    return this.lengths.size;
  }

  /**
   * Writes a whole block, which counts as spilled if `stillCurrent()` says, once it is on
   * disk, that these bytes are still the block's (it may have been written again meanwhile);
   * the caller lets go of its copy in that same call, so that nothing runs in between.
   */
  async write(index: number, bytes: Uint8Array, stillCurrent: () => boolean): Promise<boolean> {
    this.fits(index, bytes.length);
    // What was pending for the block is older than these bytes (use() lets a flush of it land first).
    this.dropPending(index);
    return this.use(async (h) => {
      await this.writeAt(h, index * this.slotBytes, bytes);
      if (!stillCurrent()) return false;
      this.lengths.set(index, bytes.length);
      return true;
    });
  }

  /**
   * Changes a spilled block in place: `bytes` at `offset`, the block now `length` long.
   * Bytes between its old end and the new one that the change does not cover are zeros,
   * as they are in a block that grows in memory.
   */
  async patch(index: number, offset: number, bytes: Uint8Array, length: number): Promise<void> {
    if (this.failed) throw this.failed;
    this.fits(index, length);
    const old = this.lengthOf(index);
    if (length > old) this.addPending(index, old, new Uint8Array(length - old));
    if (bytes.length > 0) this.addPending(index, offset, bytes);
    this.lengths.set(index, length);
    if (this.pendingBytes > PENDING_BYTES) await this.flush();
  }

  /** A spilled block, in a buffer with room for a whole block (it may grow in memory). */
  async read(index: number): Promise<Uint8Array> {
    const out = new Uint8Array(new ArrayBuffer(this.slotBytes), 0, this.lengthOf(index));
    await this.readInto(index, 0, out);
    return out;
  }

  /** Bytes [start, end) of a spilled block. */
  async readRange(index: number, start: number, end: number): Promise<Uint8Array> {
    const out = new Uint8Array(Math.max(0, Math.min(end, this.lengthOf(index)) - start));
    await this.readInto(index, start, out);
    return out;
  }

  delete(index: number): void {
    this.dropPending(index);
    if (this.lengths.delete(index)) this.closeIfUnused();
  }

  /** Forgets every block; a new slot size applies from now on (the file's block size changed). */
  clear(slotBytes = this.slotBytes): void {
    this.pending.clear();
    this.pendingBytes = 0;
    this.lengths.clear();
    this.slotBytes = slotBytes;
    // What failed held changes to blocks that are forgotten now: a new file starts clean.
    this.failed = undefined;
    this.epoch++;
    this.closeIfUnused();
  }

  /** Puts the pending changes on disk, after any flush under way; their spans do not overlap. */
  flush(): Promise<void> {
    if (this.pending.size === 0) return this.flushing;
    const batch = this.pending;
    this.pending = new Map();
    this.pendingBytes = 0;
    const epoch = this.epoch;
    const run = () =>
      this.use(
        // Every write settles before use() counts the file unused: a descriptor closed with
        // writes still queued on it could be reused by another open, and take them.
        (h) =>
          settleAll(
            [...batch].flatMap(([index, spans]) => SpillFile.runs(spans).map((run) => this.writeRunAt(h, index * this.slotBytes + run.at, run.parts))),
          ),
        false,
      );
    // The chain itself never rejects: a failure is kept in `failed` (for this epoch only),
    // so that after clear() a new transaction's flushes run again.
    const landed = this.flushing.then(run);
    this.flushing = landed.then(
      () => undefined,
      (err: Error) => {
        if (epoch === this.epoch) this.failed ??= err;
      },
    );
    return landed.then(() => undefined);
  }

  /** A block longer than a slot would overwrite the next block's. */
  private fits(index: number, length: number): void {
    if (length > this.slotBytes) {
      throw new S3VFSError(`block ${index} of ${length} bytes does not fit the spill file's ${this.slotBytes}-byte slots`, 'EPROTO');
    }
  }

  private lengthOf(index: number): number {
    const length = this.lengths.get(index);
    if (length === undefined) throw new S3VFSError(`block ${index} is not in the spill file`, 'EPROTO');
    return length;
  }

  /**
   * Adds a change to a block's pending spans, merged with those it overlaps. Spans that only
   * touch stay apart: pages appended one after another would otherwise copy the growing run
   * again for each page; flush writes adjacent spans in one call instead.
   */
  private addPending(index: number, offset: number, bytes: Uint8Array): void {
    let spans = this.pending.get(index);
    if (!spans) this.pending.set(index, (spans = new SpanSet()));
    let start = offset;
    let end = offset + bytes.length;
    const merged = spans.overlapping(start, end);
    for (const [s, b] of merged) {
      start = Math.min(start, s);
      end = Math.max(end, s + b.length);
    }
    // A new array: a read may hold the old ones (readInto's snapshot), and `bytes` may be a
    // view of a buffer its caller reuses.
    const out = new Uint8Array(end - start);
    for (const [s, b] of merged) {
      out.set(b, s - start);
      spans.delete(s);
      this.pendingBytes -= b.length;
    }
    out.set(bytes, offset - start);
    spans.set(start, out);
    this.pendingBytes += out.length;
  }

  /** A block's pending spans as runs of adjacent ones, each written by one call. */
  private static runs(spans: SpanSet): { at: number; parts: Uint8Array[] }[] {
    const runs: { at: number; parts: Uint8Array[]; end: number }[] = [];
    for (const [s, b] of spans.entries()) {
      const last = runs[runs.length - 1];
      if (last && last.end === s && last.parts.length < MAX_RUN_PARTS) {
        last.parts.push(b);
        last.end += b.length;
      } else {
        runs.push({ at: s, parts: [b], end: s + b.length });
      }
    }
    return runs;
  }

  private dropPending(index: number): void {
    for (const b of this.pending.get(index)?.values() ?? []) this.pendingBytes -= b.length;
    this.pending.delete(index);
  }

  /** What is on disk (once earlier flushes have landed), with the pending changes over it. */
  private async readInto(index: number, start: number, out: Uint8Array): Promise<void> {
    const spans = this.pending.get(index)?.entries() ?? [];
    const covered = spans.some(([s, b]) => s <= start && s + b.length >= start + out.length);
    if (!covered) {
      await this.use(async (h) => {
        let done = 0;
        while (done < out.length) {
          const bytesRead = await pread(h.fd, out, done, index * this.slotBytes + start + done);
          if (bytesRead === 0) break; // past what is on disk: pending bytes, laid over below
          done += bytesRead;
        }
      });
    }
    for (const [s, b] of spans) {
      const from = Math.max(s, start);
      const to = Math.min(s + b.length, start + out.length);
      if (to > from) out.set(b.subarray(from - s, to - s), from - start);
    }
  }

  /** Adjacent spans from `position`, in one call unless the system writes only part of them. */
  private async writeRunAt(h: fs.promises.FileHandle, position: number, parts: Uint8Array[]): Promise<void> {
    if (parts.length === 1) return this.writeAt(h, position, parts[0]);
    const total = parts.reduce((n, b) => n + b.length, 0);
    const bytesWritten = await pwritev(h.fd, parts, position);
    if (bytesWritten >= total) return;
    // The rest, span by span from where the write stopped.
    let at = 0;
    for (const b of parts) {
      if (at + b.length > bytesWritten) {
        const skip = Math.max(0, bytesWritten - at);
        await this.writeAt(h, position + at + skip, b.subarray(skip));
      }
      at += b.length;
    }
  }

  private async writeAt(h: fs.promises.FileHandle, position: number, bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const bytesWritten = await pwrite(h.fd, done ? bytes.subarray(done) : bytes, position + done);
      done += bytesWritten;
    }
  }

  /** Runs `fn` on the open file, once the flush under way has landed (unless it is that flush). */
  private async use<T>(fn: (h: fs.promises.FileHandle) => Promise<T>, afterFlush = true): Promise<T> {
    this.busy++;
    try {
      if (this.failed) throw this.failed;
      if (afterFlush) await this.flushing.catch(() => undefined);
      if (this.failed) throw this.failed;
      if (!this.handle) {
        const opening = this.open();
        this.handle = opening;
        // A directory that refused once may accept later (space freed): try again then.
        opening.catch(() => this.handle === opening && (this.handle = undefined));
      }
      return await fn(await this.handle);
    } catch (err) {
      if (err instanceof S3VFSError) throw err;
      const e = err as NodeJS.ErrnoException;
      throw new S3VFSError(`cannot use the spill file in ${this.dir} for a large transaction: ${e.code ?? ''} ${e.message}`.trim(), 'ESPILL');
    } finally {
      this.busy--;
      this.closeIfUnused();
    }
  }

  private async open(): Promise<fs.promises.FileHandle> {
    // cacheDir, which the disk cache (if any) made and checked; made here when there is none.
    await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, `sqlite-s3vfs-spill-${process.pid}-${randomBytes(6).toString('hex')}`);
    // wx: a name that exists (planted, even as a link) is never opened.
    const h = await fs.promises.open(file, 'wx+', 0o600);
    // Windows cannot delete an open file: there it goes when closed.
    await fs.promises.unlink(file).catch(() => (this.unlinkOnClose = file));
    return h;
  }

  private closeIfUnused(): void {
    if (this.busy > 0 || this.lengths.size > 0 || !this.handle) return;
    const h = this.handle;
    const file = this.unlinkOnClose;
    this.handle = undefined;
    this.unlinkOnClose = undefined;
    h.then((fh) => fh.close())
      .then(() => (file ? fs.promises.unlink(file) : undefined))
      .catch(() => undefined);
  }
}
