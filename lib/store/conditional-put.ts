// A conditional PUT whose outcome is decided, never guessed. When its answer is lost (a
// timeout, a dropped connection, a 5xx) the PUT may have been applied or not; a 412 may be
// the SDK's retry of a PUT that was applied. Either way the object is read back and
// compared with what this PUT wrote: only then is the caller told "done" or "not done".
import { S3VFSError } from '../errors';
import { PreconditionFailed, type GetResult, type PutCondition, type ObjectStore } from './object-store';

/** The object could not be read back: whether the PUT was applied is not known. */
export class UnknownOutcomeError extends S3VFSError {
  constructor(key: string, cause: unknown) {
    super(
      `the outcome of the conditional PUT of ${key} is unknown: its answer was lost and the object could not be read back ` +
        `(${(cause as Error)?.message ?? cause}); open the database again to see whether it was applied`,
      'EUNKNOWN',
    );
  }
}

/** What a resolved conditional PUT found. */
export type PutOutcome =
  | { applied: true; etag: string | undefined }
  /** Not applied: `current` is what the object holds (null: nothing); `lost` says that the
   *  PUT's answer was lost, so a copy of it may still be on its way. */
  | { applied: false; current: GetResult; lost: boolean; error: unknown };

/**
 * PUTs `body` under `condition` and finds out whether it was applied. Rejects with
 * UnknownOutcomeError when that cannot be found out, and with the S3 error itself when S3
 * refused the PUT outright (a 4xx other than 412).
 */
export async function putResolved(s3: ObjectStore, key: string, body: Uint8Array, condition: PutCondition): Promise<PutOutcome> {
  try {
    return { applied: true, etag: await s3.put(key, body, condition) };
  } catch (err) {
    const lost = !(err instanceof PreconditionFailed);
    if (lost && !(err as { answerLost?: boolean }).answerLost) throw err; // refused: not applied
    let current: GetResult;
    try {
      current = await s3.get(key);
    } catch (readErr) {
      throw new UnknownOutcomeError(key, readErr);
    }
    if (current && Buffer.from(current.body).equals(Buffer.from(body))) return { applied: true, etag: current.etag };
    return { applied: false, current, lost, error: err };
  }
}
