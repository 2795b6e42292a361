// The S3 client as the block store uses it: whole-object GET/PUT, LIST of a prefix,
// batch DELETE; every error named, every request counted. Runs in the worker only.
// Each attempt has a deadline that covers its whole answer, body included (the SDK's
// request timeout stops counting once the headers arrive), and requests that can be
// repeated safely are tried again when it passes.
import http from 'node:http';
import https from 'node:https';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describeS3Error } from '../errors';
import { LIMITS } from '../options';
import type { Counters } from '../stats';
import { PreconditionFailed, type GetResult, type ListedObject, type ObjectStore, type PutCondition } from './object-store';

export interface StoreConnection {
  bucket: string;
  s3: S3ClientConfig;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxSockets: number;
}


/** An attempt passed its deadline (headers or body): retried if the request is repeatable. */
export class DeadlineError extends Error {
  readonly code = 'TimeoutError';
  constructor(operation: string, ms: number) {
    super(`no whole answer to ${operation} within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** Attempts a repeatable request gets when its deadline passes (the SDK retries errors itself). */
const DEADLINE_ATTEMPTS = 3;

interface Streamed {
  transformToByteArray(): Promise<Uint8Array>;
  destroy?(err?: Error): void;
}

/** The ObjectStore of a bucket, over the AWS SDK. */
export class S3Objects implements ObjectStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly endpoint: string;
  private readonly deadlineMs: number;

  constructor(
    conn: StoreConnection,
    private readonly counters: Counters,
  ) {
    this.bucket = conn.bucket;
    this.deadlineMs = conn.requestTimeoutMs;
    const agentOptions = { keepAlive: true, maxSockets: conn.maxSockets };
    this.client = new S3Client({
      // Buffers only, so no streaming checksum framing (which s3rver would store).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...conn.s3,
      requestHandler: new NodeHttpHandler({
        httpAgent: new http.Agent(agentOptions),
        httpsAgent: new https.Agent(agentOptions),
        connectionTimeout: conn.connectTimeoutMs,
        requestTimeout: conn.requestTimeoutMs,
        throwOnRequestTimeout: true,
      }),
    });
    this.endpoint = describeEndpoint(conn.s3);
  }

  private fail(err: unknown, operation: string, key?: string): never {
    throw describeS3Error(err, { bucket: this.bucket, endpoint: this.endpoint, operation, key });
  }

  /**
   * Runs one request under a deadline for its whole answer; a repeatable one is tried again
   * (up to DEADLINE_ATTEMPTS) when the deadline passes. `run` gets the signal to hand the SDK
   * and a way to read a body that the deadline can cut short.
   */
  private async deadline<T>(operation: string, repeatable: boolean, run: (signal: AbortSignal, read: (b: Streamed) => Promise<Uint8Array>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const ctl = new AbortController();
      const bodies: Streamed[] = [];
      const timer = setTimeout(() => {
        ctl.abort();
        for (const b of bodies) b.destroy?.(new DeadlineError(operation, this.deadlineMs));
      }, this.deadlineMs);
      const read = (b: Streamed) => {
        bodies.push(b);
        return b.transformToByteArray();
      };
      try {
        return await run(ctl.signal, read);
      } catch (err) {
        if (!ctl.signal.aborted) throw err;
        if (!repeatable || attempt >= DEADLINE_ATTEMPTS) throw new DeadlineError(operation, this.deadlineMs);
        this.counters.add('retries');
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** The object's bytes (or bytes [range.start, range.end) of it), or null when it does not exist. */
  async get(key: string, range?: { start: number; end: number }): Promise<GetResult> {
    this.counters.add('get');
    if (range) this.counters.add('getRange');
    try {
      const Range = range ? `bytes=${range.start}-${range.end - 1}` : undefined;
      return await this.deadline('GET', true, async (abortSignal, read) => {
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range }), { abortSignal });
        const body = await read(out.Body as Streamed);
        this.counters.add('bytesDown', body.length);
        return { body, etag: out.ETag, lastModified: out.LastModified };
      });
    } catch (err) {
      if ((err as Error).name === 'NoSuchKey') return null;
      this.fail(err, 'GET', key);
    }
  }

  /** Like get, but 'unchanged' when the object still has the given ETag. */
  async getIfChanged(key: string, etag: string): Promise<GetResult | 'unchanged'> {
    this.counters.add('get');
    try {
      return await this.deadline('GET', true, async (abortSignal, read) => {
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, IfNoneMatch: etag }), { abortSignal });
        const body = await read(out.Body as Streamed);
        this.counters.add('bytesDown', body.length);
        return { body, etag: out.ETag };
      });
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.$metadata?.httpStatusCode === 304) return 'unchanged';
      if (e.name === 'NoSuchKey') return null;
      this.fail(err, 'GET', key);
    }
  }

  /** Stores the bytes; returns the new ETag. A condition unmet throws PreconditionFailed. */
  async put(key: string, body: Uint8Array, condition?: PutCondition): Promise<string | undefined> {
    this.counters.add('put');
    this.counters.add('bytesUp', body.length);
    const ifMatch = condition && 'ifMatch' in condition ? this.etagForm(condition.ifMatch) : undefined;
    const IfNoneMatch = condition && 'ifNoneMatch' in condition ? '*' : undefined;
    try {
      // A conditional PUT whose answer did not come may have been applied: only the caller,
      // who can read the object back, may decide what happened (conditional-put.ts).
      const out = await this.deadline('PUT', !condition, (abortSignal) =>
        this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, IfMatch: ifMatch, IfNoneMatch }), { abortSignal }),
      );
      if (ifMatch) this.quoteEtags ??= true;
      return out.ETag;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412) {
        if (ifMatch && this.quoteEtags === undefined && (await this.head(key)) === (condition as { ifMatch: string }).ifMatch) {
          // The ETag matched as the server reports it: the server wants it in the other
          // form (radosgw 16 compares If-Match without quotes). Learn that, once.
          this.quoteEtags = false;
          return this.put(key, body, condition);
        }
        throw new PreconditionFailed(key);
      }
      const described = describeS3Error(err, { bucket: this.bucket, endpoint: this.endpoint, operation: 'PUT', key });
      throw Object.assign(described, { answerLost: answerMayBeLost(err) });
    }
  }

  /** False once the server rejected a conditional PUT as not implemented: PUTs go plain. */
  conditionalPuts = true;

  /** Whether If-Match takes the ETag with its quotes (AWS) or without (radosgw 16). */
  private quoteEtags: boolean | undefined;
  private etagForm(etag: string): string {
    return this.quoteEtags === false ? etag.replace(/"/g, '') : etag;
  }

  /** The object's ETag, or null when it does not exist. */
  async head(key: string): Promise<string | null> {
    this.counters.add('head');
    try {
      const out = await this.deadline('HEAD', true, (abortSignal) => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal }));
      return out.ETag ?? null;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return null;
      this.fail(err, 'HEAD', key);
    }
  }

  /** Every object directly under `prefix` (which ends with '/'), in key order. */
  async list(prefix: string, maxKeys?: number): Promise<ListedObject[]> {
    const found: ListedObject[] = [];
    let token: string | undefined;
    do {
      this.counters.add('list');
      let out;
      try {
        out = await this.deadline('LIST', true, (abortSignal) =>
          this.client.send(
            new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token, MaxKeys: maxKeys }),
            { abortSignal },
          ),
        );
      } catch (err) {
        this.fail(err, 'LIST', prefix);
      }
      for (const o of out.Contents ?? []) found.push({ key: o.Key!, size: o.Size ?? 0, etag: o.ETag, lastModified: o.LastModified });
      token = out.IsTruncated && maxKeys === undefined ? out.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  /** The "folders" directly under `prefix` (which is '' or ends with '/'): LIST with a delimiter. */
  async listPrefixes(prefix: string): Promise<string[]> {
    const found: string[] = [];
    let token: string | undefined;
    do {
      this.counters.add('list');
      let out;
      try {
        out = await this.deadline('LIST', true, (abortSignal) =>
          this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix || undefined, Delimiter: '/', ContinuationToken: token }), {
            abortSignal,
          }),
        );
      } catch (err) {
        this.fail(err, 'LIST', prefix);
      }
      for (const p of out.CommonPrefixes ?? []) if (p.Prefix) found.push(p.Prefix);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  async deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += LIMITS.deleteBatch) {
      const batch = keys.slice(i, i + LIMITS.deleteBatch);
      this.counters.add('delete');
      let out;
      try {
        out = await this.deadline('DELETE', true, (abortSignal) =>
          this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }), {
            abortSignal,
          }),
        );
      } catch (err) {
        this.fail(err, 'DELETE', batch[0]);
      }
      const failed = out.Errors?.[0];
      if (failed) this.fail({ Code: failed.Code, message: failed.Message }, 'DELETE', failed.Key);
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}

/** The endpoint as messages name it: never with a password (http://user:pass@host). */
export function describeEndpoint(s3: S3ClientConfig): string {
  const ep = s3.endpoint;
  if (!ep) return `s3.${typeof s3.region === 'string' ? s3.region : '<default region>'}.amazonaws.com`;
  if (typeof ep !== 'string') return '<an endpoint object>';
  try {
    const u = new URL(ep);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return ep.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}

/**
 * Whether a failed PUT may have been applied all the same. Only a refusal S3 gave to the
 * one and only attempt is certain: a 4xx (but 409, which AWS gives while an earlier attempt
 * of the same conditional PUT is still in flight), or a connection that was never made.
 * A 5xx, a timeout, a dropped connection, or any failure after the SDK tried more than once
 * (an earlier attempt may have landed) leaves the outcome open. A 501 is a refusal.
 */
export function answerMayBeLost(err: unknown): boolean {
  if (err instanceof DeadlineError) return true;
  const e = err as { code?: string; name?: string; $metadata?: { httpStatusCode?: number; attempts?: number } };
  if ((e.$metadata?.attempts ?? 1) > 1) return true;
  const status = e.$metadata?.httpStatusCode;
  // 501 Not Implemented is a refusal (a header asks for what the server does not do).
  if (status !== undefined) return (status >= 500 && status !== 501) || status === 409;
  return !/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|CredentialsProviderError)$/.test(e.code ?? e.name ?? '');
}
