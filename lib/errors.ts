// Errors that name what went wrong: the bucket, the key, the credential, the endpoint.

/** An error from the S3 store or the bridge, as the user sees it. */
export class S3VFSError extends Error {
  /** The S3 error code or Node error code behind this one (NoSuchBucket, ECONNREFUSED, ...). */
  readonly code: string;
  constructor(message: string, code: string) {
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
  return new S3VFSError(r.message, r.code);
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
  return new S3VFSError(`${detail} (${where})`, code);
}
