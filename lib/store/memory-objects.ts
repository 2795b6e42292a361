// An ObjectStore in memory, with S3's semantics where the layouts depend on them: an ETag
// is the MD5 of the bytes (so equal bytes have equal ETags, as on S3), If-Match and
// If-None-Match: * are honoured exactly, LIST is in key order with '/' as the delimiter,
// DELETE of a missing key is no error. Requests are counted as S3Objects counts them.
// For tests of the store without a server; `faults` lets a test fail chosen requests.
import { createHash } from 'node:crypto';
import { LIMITS } from '../options';
import { Counters } from '../stats';
import { PreconditionFailed, type GetResult, type ListedObject, type ObjectStore, type PutCondition } from './object-store';

interface Stored {
  body: Uint8Array;
  etag: string;
  lastModified: Date;
}

export type MemoryOperation = 'GET' | 'PUT' | 'HEAD' | 'LIST' | 'DELETE';

/** Decides, before each request, whether it fails: return an error to throw, or undefined. */
export type FaultHook = (operation: MemoryOperation, key: string) => Error | undefined;

export class MemoryObjects implements ObjectStore {
  private readonly objects = new Map<string, Stored>();
  conditionalPuts = true;
  /** Whether the store honours conditions; false: it ignores them, as s3rver does. */
  honoursConditions = true;
  faults: FaultHook | undefined;
  /** Decides, after a PUT was applied, whether its answer is lost (a timeout, a dropped
   *  connection): the caller then gets an error with answerLost, as from S3Objects. */
  loseAnswer: ((key: string) => boolean) | undefined;
  /** The clock that stamps lastModified (gc's age of an object). */
  now: () => number = Date.now;

  constructor(readonly counters: Counters = new Counters()) {}

  private fault(operation: MemoryOperation, key: string): void {
    const err = this.faults?.(operation, key);
    if (err) throw err;
  }

  async get(key: string, range?: { start: number; end: number }): Promise<GetResult> {
    this.counters.add('get');
    if (range) this.counters.add('getRange');
    this.fault('GET', key);
    const o = this.objects.get(key);
    if (!o) return null;
    const body = range ? o.body.slice(range.start, Math.min(range.end, o.body.length)) : o.body.slice();
    this.counters.add('bytesDown', body.length);
    return { body, etag: o.etag, lastModified: o.lastModified };
  }

  async getIfChanged(key: string, etag: string): Promise<GetResult | 'unchanged'> {
    const o = this.objects.get(key);
    if (o && o.etag === etag) {
      this.counters.add('get');
      this.fault('GET', key);
      return 'unchanged';
    }
    return this.get(key);
  }

  async put(key: string, body: Uint8Array, condition?: PutCondition): Promise<string> {
    this.counters.add('put');
    this.counters.add('bytesUp', body.length);
    this.fault('PUT', key);
    const current = this.objects.get(key);
    if (condition && this.honoursConditions && this.conditionalPuts) {
      const met = 'ifNoneMatch' in condition ? current === undefined : current?.etag === condition.ifMatch;
      if (!met) throw new PreconditionFailed(key);
    }
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    this.objects.set(key, { body: body.slice(), etag, lastModified: new Date(this.now()) });
    if (this.loseAnswer?.(key)) throw Object.assign(new Error(`the answer to PUT ${key} was lost (test)`), { code: 'TimeoutError', answerLost: true });
    return etag;
  }

  async head(key: string): Promise<string | null> {
    this.counters.add('head');
    this.fault('HEAD', key);
    return this.objects.get(key)?.etag ?? null;
  }

  async list(prefix: string, maxKeys?: number): Promise<ListedObject[]> {
    this.counters.add('list');
    this.fault('LIST', prefix);
    const found: ListedObject[] = [];
    for (const key of [...this.objects.keys()].sort()) {
      if (!key.startsWith(prefix) || key.indexOf('/', prefix.length) >= 0) continue;
      const o = this.objects.get(key)!;
      found.push({ key, size: o.body.length, etag: o.etag, lastModified: o.lastModified });
      if (maxKeys !== undefined && found.length >= maxKeys) break;
    }
    return found;
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    this.counters.add('list');
    this.fault('LIST', prefix);
    const found = new Set<string>();
    for (const key of this.objects.keys()) {
      if (!key.startsWith(prefix)) continue;
      const slash = key.indexOf('/', prefix.length);
      if (slash >= 0) found.add(key.slice(0, slash + 1));
    }
    return [...found].sort();
  }

  async deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += LIMITS.deleteBatch) {
      this.counters.add('delete');
      this.fault('DELETE', keys[i]);
      for (const key of keys.slice(i, i + LIMITS.deleteBatch)) this.objects.delete(key);
    }
  }

  /** Every key, in order: what a test inspects. */
  keys(): string[] {
    return [...this.objects.keys()].sort();
  }

  destroy(): void {
    this.objects.clear();
  }
}
