// Errors that name what went wrong: the bucket, the key, the credential, the endpoint.

/**
 * The codes of the library's own errors. An error that comes from S3 or the network keeps
 * the code S3 or Node gave it instead (NoSuchBucket, AccessDenied, ECONNREFUSED, ...).
 */
export type S3VFSOwnCode =
  | 'EBADMANIFEST' // a manifest object that is not one this library can read
  | 'EBADLEASE' // a lease object that is not one
  | 'EBLOCKSIZE' // blocks larger than the block size the database is opened with
  | 'ECHANGED' // an object changed under a reader (its size or CRC is not what the manifest says)
  | 'ECORRUPT' // a block whose bytes are not what the manifest records
  | 'EVANISHED' // a block the database lists is gone from the bucket (gc, or another client)
  | 'ECONFLICT' // another writer changed what this one was about to commit
  | 'EBUSY' // another writer holds the lease, or the database is open here
  | 'ELEASE' // this writer's lease was lost
  | 'EUNKNOWN' // a commit whose outcome S3 left unknown
  | 'ENOCONDITIONAL' // the server ignores conditional writes
  | 'EHOTJOURNAL' // a seed-layout database with a hot journal
  | 'ELAYOUT' // a setting the database's layout refuses
  | 'ENOTADB' // not a SQLite database
  | 'ENOENT' // no such database
  | 'EINVAL' // an argument or option out of range
  | 'ECLOSED' // the S3VFS is closed
  | 'EWORKER' // the worker could not start
  | 'EWORKERDEAD' // the worker died
  | 'ETIMEDOUT' // the worker did not answer in time
  | 'EPROTO' // the two threads disagree about the protocol (a bug)
  | 'ESPILL' // a large transaction's blocks could not be kept on local disk (its spill file)
  | 'EAGAIN';

/** S3VFSError.code: the library's own codes, or a code S3 or Node gave. */
export type S3VFSErrorCode = S3VFSOwnCode | (string & {});

/** An error from the S3 store or the bridge, as the user sees it. */
export class S3VFSError extends Error {
  /** What went wrong, as a code a program can test (see S3VFSErrorCode). */
  readonly code: S3VFSErrorCode;
  /** The library's own errors take one of its own codes; an error from S3 or the network
   *  keeps the one it came with (describeS3Error, fromReport). */
  constructor(message: string, code: S3VFSOwnCode);
  constructor(message: string, code: S3VFSErrorCode, fromElsewhere: true);
  constructor(message: string, code: S3VFSErrorCode) {
    super(message);
    this.name = 'S3VFSError';
    this.code = code;
  }
}

/** What crosses from the worker to the main thread to describe a failure. */
export interface ErrorReport {
  name: string;
  code: string;
  message: string;
}

export function toReport(err: unknown): ErrorReport {
  if (err instanceof S3VFSError) return { name: err.name, code: err.code, message: err.message };
  const e = err as Error & { code?: string };
  return { name: e?.name ?? 'Error', code: e?.code ?? e?.name ?? 'Error', message: e?.message ?? String(err) };
}

export function fromReport(r: ErrorReport): S3VFSError {
  return new S3VFSError(r.message, r.code, true);
}

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  errors?: AwsLikeError[];
}

const hints: Record<string, (ctx: S3Context) => string> = {
  NoSuchBucket: (c) => `NoSuchBucket: ${c.bucket}`,
  InvalidAccessKeyId: (c) => `InvalidAccessKeyId: the access key id is not known to ${c.endpoint} (bucket ${c.bucket})`,
  SignatureDoesNotMatch: (c) => `SignatureDoesNotMatch: the secret access key is wrong for ${c.endpoint} (bucket ${c.bucket})`,
  AccessDenied: (c) => `AccessDenied: the credentials may not ${c.operation} ${c.key ?? c.bucket}`,
  CredentialsProviderError: () => 'CredentialsProviderError: no AWS credentials found (set s3.credentials or the AWS_* environment variables)',
  ECONNREFUSED: (c) => `ECONNREFUSED: cannot connect to the S3 endpoint ${c.endpoint}`,
  ENOTFOUND: (c) => `ENOTFOUND: the S3 endpoint host ${c.endpoint} does not resolve`,
  TimeoutError: (c) => `TimeoutError: the S3 endpoint ${c.endpoint} did not answer in time`,
};

export interface S3Context {
  bucket: string;
  endpoint: string;
  operation: string;
  key?: string;
}

/** Turns an SDK or network error into one whose message names the problem. */
export function describeS3Error(err: unknown, ctx: S3Context): S3VFSError {
  const e = err as AwsLikeError;
  const inner = e?.errors?.[0];
  let code = e?.Code ?? e?.code ?? inner?.code ?? e?.name ?? 'Error';
  if (code === 'AggregateError' && inner?.code) code = inner.code;
  if (code === 'RequestTimeout' || code === 'ETIMEDOUT' || code === 'ECONNRESET' && /timeout/i.test(e?.message ?? '')) code = 'TimeoutError';
  const hint = hints[code];
  const where = `${ctx.operation} s3://${ctx.bucket}/${ctx.key ?? ''}`;
  const detail = hint ? hint(ctx) : `${code}: ${e?.message || `HTTP ${e?.$metadata?.httpStatusCode ?? '?'}`}`;
  return new S3VFSError(`${detail} (${where})`, code, true);
}
