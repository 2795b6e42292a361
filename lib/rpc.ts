// Asynchronous calls between the main thread and the worker over postMessage, for
// everything that is not on SQLite's synchronous path (serialize, stats, close).
import type { MessagePort, Worker } from 'node:worker_threads';
import { fromReport, S3VFSError, toReport, type ErrorReport } from './errors';

type Endpoint = MessagePort | Worker;
interface Call { id: number; method: string; args: unknown[] }
interface Answer { id: number; result?: unknown; error?: ErrorReport }

/** Uint8Arrays that own their whole buffer can move instead of being copied. */
function transferables(value: unknown): ArrayBuffer[] {
  if (value instanceof Uint8Array && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength &&
      value.buffer instanceof ArrayBuffer) {
    return [value.buffer];
  }
  return [];
}

type Method<Api> = keyof Api & string;
type Args<Api, K extends Method<Api>> = NonNullable<Api[K]> extends (...args: infer A) => unknown ? A : never;
type Result<Api, K extends Method<Api>> = NonNullable<Api[K]> extends (...args: never[]) => Promise<infer R> ? R : never;

/** Calls the methods of `Api` (lib/worker/worker-api.ts) served at the other end of a port. */
export class RpcClient<Api extends object> {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  /** `busy(true)` when the first call starts waiting, `busy(false)` when none is left:
   *  an unref'd worker must keep the process alive while a call awaits it. */
  constructor(
    private readonly port: Endpoint,
    private readonly busy: (waiting: boolean) => void = () => undefined,
  ) {
    port.on('message', (msg: Answer) => {
      if (typeof msg?.id !== 'number') return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) this.busy(false);
      if (msg.error) p.reject(fromReport(msg.error));
      else p.resolve(msg.result);
    });
  }

  call<K extends Method<Api>>(method: K, ...args: Args<Api, K>): Promise<Result<Api, K>> {
    const id = this.next++;
    return new Promise<Result<Api, K>>((resolve, reject) => {
      if (this.pending.size === 0) this.busy(true);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.port.postMessage({ id, method, args } satisfies Call, args.flatMap(transferables));
    });
  }

  /** Fails every call still waiting (the worker is gone). */
  failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.busy(false);
  }
}

/** Serves `handlers`' methods to the RpcClient at the other end of `port`. */
export function serveRpc<Api extends object>(port: MessagePort, handlers: Api): void {
  const table = handlers as unknown as Record<string, ((...args: unknown[]) => Promise<unknown>) | undefined>;
  port.on('message', async (msg: Call) => {
    if (typeof msg?.id !== 'number') return;
    const fn = Object.prototype.hasOwnProperty.call(table, msg.method) ? table[msg.method] : undefined;
    try {
      if (!fn) throw new S3VFSError(`unknown worker method ${msg.method}`, 'EPROTO');
      const result = await fn(...msg.args);
      port.postMessage({ id: msg.id, result } satisfies Answer, transferables(result));
    } catch (err) {
      port.postMessage({ id: msg.id, error: toReport(err) } satisfies Answer);
    }
  });
}
