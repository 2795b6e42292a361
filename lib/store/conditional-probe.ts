// Whether the S3 server honours conditional writes, which the versioned layout rests on
// (a commit is a conditional PUT of the manifest; a lease is taken with one). A server that
// ignores them (s3rver, some gateways) would let two writers both commit, each told it
// succeeded, one of them lost. So before the first versioned commit a worker asks, once
// per bucket: it PUTs a probe object with If-None-Match: * twice, and the second must fail.
import { S3VFSError } from '../errors';
import { randomBytes } from 'node:crypto';
import { putResolved } from './conditional-put';
import { PreconditionFailed, type ObjectStore } from './object-store';

export class ConditionalWritesProbe {
  private answer: Promise<void> | undefined;

  constructor(
    private readonly s3: ObjectStore,
    private readonly bucket: string,
  ) {}

  /** Resolves once the server is known to honour conditional writes; rejects if it does not.
   *  The probe object goes under the database's prefix and is deleted at once. */
  verify(name: string): Promise<void> {
    this.answer ??= this.probe(name).catch((err) => {
      // An S3 error says nothing about the server's semantics: ask again next time.
      if (!(err instanceof S3VFSError && err.code === 'ENOCONDITIONAL')) this.answer = undefined;
      throw err;
    });
    return this.answer;
  }

  private async probe(name: string): Promise<void> {
    const key = probeKey(name);
    const body = new TextEncoder().encode('{"probe":"sqlite-s3vfs conditional writes"}');
    // Its answer lost, the first PUT may have been applied: read back, not guessed.
    const first = await putResolved(this.s3, key, body, { ifNoneMatch: '*' });
    if (!first.applied) throw first.error;
    let honoured = false;
    try {
      await this.s3.put(key, body, { ifNoneMatch: '*' });
    } catch (err) {
      if (!(err instanceof PreconditionFailed)) throw err;
      honoured = true;
    } finally {
      await this.s3.deleteKeys([key]).catch(() => undefined);
    }
    if (!honoured) {
      throw new S3VFSError(
        `the S3 server of bucket ${this.bucket} ignores conditional writes (a second PUT of ${key} with If-None-Match: * ` +
          'succeeded): versioned databases need them to keep writers apart and commits atomic. Use layout: \'compat\' for new ' +
          'databases there, or a server that honours them (AWS S3, R2, MinIO, Ceph radosgw)',
        'ENOCONDITIONAL',
      );
    }
  }
}

/** Where the probe object goes: under the database's prefix, with a name no block has. */
export function probeKey(name: string): string {
  return `${name}/probe.${randomBytes(6).toString('hex')}`;
}
