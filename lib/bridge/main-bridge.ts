// The main thread's half of the bridge in JavaScript: C++ fills in a request and calls
// waitForReply(), which wakes the worker and blocks on Atomics.wait until the reply
// comes, the worker dies, or the timeout passes. A bridge that failed once stays
// failed: a late reply must never be taken for the answer to a later request.
import type { BridgeLayout } from '../../binding';
import { fromReport, S3VFSError, type ErrorReport } from '../errors';
import { attachCause } from '../sqlite-error-hook';

export interface BridgeTimeouts {
  /** Longest wait for one reply before the VFS is declared broken. */
  timeoutMs: number;
  /** How long the worker's heartbeat may stall before it is declared dead. */
  deadAfterMs: number;
}

const SLICE_MS = 50;

export class MainBridge {
  readonly sab: SharedArrayBuffer;
  readonly i32: Int32Array;
  private readonly data: Uint8Array;
  private readonly deathNote: Uint8Array;
  private readonly decoder = new TextDecoder();
  crossings = 0;
  /** Why the bridge no longer works, once it does not. */
  failure: S3VFSError | null = null;
  /** The last error the worker reported, with the S3 error behind it. */
  lastError: S3VFSError | null = null;

  constructor(
    private readonly L: BridgeLayout,
    dataBytes: number,
    private readonly timeouts: BridgeTimeouts,
  ) {
    this.sab = new SharedArrayBuffer(L.DATA_OFFSET + dataBytes);
    this.i32 = new Int32Array(this.sab);
    this.data = new Uint8Array(this.sab, L.DATA_OFFSET);
    this.deathNote = new Uint8Array(this.sab, L.HEADER_BYTES, L.DEATH_NOTE_BYTES);
  }

  /** Marks the bridge unusable; later calls fail at once with this reason. */
  fail(err: S3VFSError): void {
    this.failure ??= err;
  }

  private report(area: Uint8Array, n: number): ErrorReport | null {
    if (n <= 0) return null;
    const text = this.decoder.decode(area.slice(0, n));
    try {
      return JSON.parse(text) as ErrorReport;
    } catch {
      return { name: 'Error', code: 'EWORKER', message: text };
    }
  }

  private failNow(err: S3VFSError): number {
    this.fail(err);
    this.lastError = err;
    attachCause(err);
    return 1;
  }

  /** Called from C++ with a request in the buffer: 0 when a valid reply is there, 1 if not. */
  readonly waitForReply = (): number => {
    const { i32, L } = this;
    if (this.failure) return this.failNow(this.failure);
    this.crossings++;
    const seq = i32[L.SEQ];
    Atomics.store(i32, L.STATE, L.STATE_REQUEST);
    Atomics.notify(i32, L.STATE);
    const start = Date.now();
    let beat = Atomics.load(i32, L.HEARTBEAT);
    let beatAt = start;
    while (Atomics.load(i32, L.STATE) === L.STATE_REQUEST) {
      Atomics.wait(i32, L.STATE, L.STATE_REQUEST, SLICE_MS);
      if (Atomics.load(i32, L.STATE) !== L.STATE_REQUEST) break;
      const now = Date.now();
      if (Atomics.load(i32, L.WORKER_DEAD)) {
        const why = this.report(this.deathNote, i32[L.DEATH_NOTE_LEN]);
        return this.failNow(new S3VFSError(`the S3 worker thread died: ${why?.message ?? 'unknown reason'}`, 'EWORKERDEAD'));
      }
      const b = Atomics.load(i32, L.HEARTBEAT);
      if (b !== beat) {
        beat = b;
        beatAt = now;
      } else if (now - beatAt > this.timeouts.deadAfterMs) {
        return this.failNow(new S3VFSError(`the S3 worker thread stopped responding (no heartbeat for ${now - beatAt} ms)`, 'EWORKERDEAD'));
      }
      if (now - start > this.timeouts.timeoutMs) {
        return this.failNow(
          new S3VFSError(`an S3 operation took longer than ${this.timeouts.timeoutMs} ms; the VFS is now unusable (reopen it)`, 'ETIMEDOUT'),
        );
      }
    }
    if (i32[L.REPLY_SEQ] !== seq) {
      return this.failNow(new S3VFSError(`bridge reply out of sequence (got ${i32[L.REPLY_SEQ]}, expected ${seq})`, 'EPROTO'));
    }
    const report = this.report(this.data, i32[L.ERROR_LEN]);
    if (report) {
      const err = fromReport(report);
      this.lastError = err;
      attachCause(err);
    }
    return 0;
  };
}
