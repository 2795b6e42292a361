// The object store as the block store uses it: the one seam between the layouts and S3.
// S3Objects (s3-objects.ts) implements it over the AWS SDK; MemoryObjects
// (memory-objects.ts) in memory, honouring conditions exactly, so that the layouts,
// leases, manifests and gc can be tested without a server. Fault injection, which only
// makes sense on the wire, stays with a real server (test/support/fault-proxy.js).

export interface ListedObject {
  key: string;
  size: number;
  etag?: string;
  lastModified?: Date;
}

export type GetResult = { body: Uint8Array; etag?: string; lastModified?: Date } | null;

/** What a conditional PUT requires: no object yet, or the object with this ETag. */
export type PutCondition = { ifNoneMatch: '*' } | { ifMatch: string };

/** A conditional PUT found the object not in the state it required (HTTP 412). */
export class PreconditionFailed extends Error {
  constructor(readonly key: string) {
    super(`the conditional PUT of ${key} failed: the object changed`);
    this.name = 'PreconditionFailed';
  }
}

export interface ObjectStore {
  /** The object's bytes (or bytes [range.start, range.end) of it), or null when it does not exist. */
  get(key: string, range?: { start: number; end: number }): Promise<GetResult>;
  /** Like get, but 'unchanged' when the object still has the given ETag (If-None-Match). */
  getIfChanged(key: string, etag: string): Promise<GetResult | 'unchanged'>;
  /**
   * Stores the bytes; returns the new ETag. A condition unmet throws PreconditionFailed. A
   * failure whose outcome is open (the PUT may have landed) carries `answerLost: true`.
   */
  put(key: string, body: Uint8Array, condition?: PutCondition): Promise<string | undefined>;
  /** The object's ETag, or null when it does not exist. */
  head(key: string): Promise<string | null>;
  /** Every object directly under `prefix` (which ends with '/'), in key order; at most maxKeys. */
  list(prefix: string, maxKeys?: number): Promise<ListedObject[]>;
  /** The "folders" directly under `prefix` ('' or ending with '/'), in key order. */
  listPrefixes(prefix: string): Promise<string[]>;
  /** Deletes the objects; a key that does not exist is no error. */
  deleteKeys(keys: string[]): Promise<void>;
  /** False once the server rejected a conditional PUT as not implemented: PUTs go plain. */
  conditionalPuts: boolean;
  destroy(): void;
}
