// The worker's end of the synchronous bridge: waits (without blocking its event loop)
// for the main thread to post a request, serves it asynchronously, posts the reply.
import type { BridgeLayout } from '../../binding';
import { toReport } from '../errors';
import { S3VFSError } from '../errors';

export interface Request {
  op: number;
  fileId: number;
  arg: number;
  offset: number;
  payload: Uint8Array; // a view into the shared buffer: valid until the reply is posted
}

export interface Reply {
  status?: number;
  result?: number;
  result2?: number;
  result3?: number;
  f64?: number;
  /** The reply's bytes, or its parts in order: each is copied once, straight into the
   *  shared buffer (a read's blocks and pieces are views of cached blocks: no copy on the
   *  way, and no garbage per read). */
  data?: Uint8Array | readonly Uint8Array[];
}

export type Serve = (req: Request) => Promise<Reply>;
export type FailureStatus = (op: number, err: unknown) => number;

export class BridgeServer {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly data: Uint8Array;
  private readonly deathNote: Uint8Array;
  private stopped = false;
  private readonly encoder = new TextEncoder();

  /** Bytes a reply can carry. */
  get capacity(): number {
    return this.data.length;
  }

  constructor(
    sab: SharedArrayBuffer,
    private readonly L: BridgeLayout,
    private readonly serve: Serve,
    private readonly failureStatus: FailureStatus,
  ) {
    this.i32 = new Int32Array(sab);
    this.f64 = new Float64Array(sab);
    this.data = new Uint8Array(sab, L.DATA_OFFSET);
    this.deathNote = new Uint8Array(sab, L.HEADER_BYTES, L.DEATH_NOTE_BYTES);
  }

  async run(): Promise<void> {
    const { i32, L } = this;
    while (!this.stopped) {
      // Read the state once and wait on exactly that value: reading it twice can miss
      // a request posted in between and sleep forever.
      const state = Atomics.load(i32, L.STATE);
      if (state === L.STATE_REQUEST) {
        await this.serveOne();
        continue;
      }
      const w = Atomics.waitAsync(i32, L.STATE, state);
      if (w.async) await w.value;
    }
  }

  stop(): void {
    this.stopped = true;
    Atomics.notify(this.i32, this.L.STATE);
  }

  private async serveOne(): Promise<void> {
    const { i32, f64, L } = this;
    const seq = Atomics.load(i32, L.SEQ);
    const req: Request = {
      op: i32[L.OP],
      fileId: i32[L.FILE_ID],
      arg: i32[L.ARG],
      offset: f64[L.F64_OFFSET],
      payload: this.data.subarray(0, i32[L.LEN]),
    };
    let reply: Reply;
    let errorLen = 0;
    try {
      reply = await this.serve(req);
    } catch (err) {
      const bytes = this.encoder.encode(JSON.stringify(toReport(err)));
      errorLen = Math.min(bytes.length, this.data.length);
      const status = this.failureStatus(req.op, err);
      // A failure may have made the worker drop state (a versioned commit's writes): say so.
      reply = { status, data: bytes.subarray(0, errorLen), result: (err as { stateDropped?: boolean })?.stateDropped ? 1 : 0 };
    }
    const parts = reply.data === undefined ? [] : reply.data instanceof Uint8Array ? [reply.data] : reply.data;
    let len = 0;
    for (const part of parts) len += part.length;
    if (len > this.data.length) throw new S3VFSError('bridge reply larger than the shared buffer', 'EPROTO');
    let at = 0;
    for (const part of parts) {
      this.data.set(part, at);
      at += part.length;
    }
    i32[L.REPLY_LEN] = len;
    i32[L.ERROR_LEN] = errorLen;
    i32[L.STATUS] = reply.status ?? 0;
    i32[L.RESULT] = reply.result ?? 0;
    i32[L.RESULT2] = reply.result2 ?? 0;
    i32[L.RESULT3] = reply.result3 ?? 0;
    f64[L.F64_RESULT] = reply.f64 ?? 0;
    i32[L.REPLY_SEQ] = seq;
    Atomics.store(i32, L.STATE, L.STATE_REPLY);
    Atomics.notify(i32, L.STATE);
  }

  /** Tells a waiting main thread that this worker is gone, so it need not time out. */
  markDead(reason: unknown): void {
    if (Atomics.load(this.i32, this.L.WORKER_DEAD)) return; // keep the first, real reason
    const bytes = this.encoder.encode(JSON.stringify(toReport(reason)));
    const n = Math.min(bytes.length, this.deathNote.length);
    this.deathNote.set(bytes.subarray(0, n));
    this.i32[this.L.DEATH_NOTE_LEN] = n;
    Atomics.store(this.i32, this.L.WORKER_DEAD, 1);
    Atomics.notify(this.i32, this.L.STATE);
  }
}
