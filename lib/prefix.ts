// What a database name (its key prefix in the bucket) may be.

const MAX_PREFIX = 900; // SQLite appends "-journal" etc.; S3 keys stop at 1024 bytes

export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw new TypeError('the database name (key prefix) must be a string');
  if (prefix === '' || prefix === ':memory:') throw new TypeError(`'${prefix}' is not a key prefix in the bucket`);
  if (prefix.includes('\0')) throw new TypeError('the key prefix must not contain NUL');
  if (prefix.endsWith('/')) throw new TypeError(`the key prefix '${prefix}' must not end with '/': blocks are stored under '${prefix}/'`);
  if (Buffer.byteLength(prefix) > MAX_PREFIX) throw new TypeError(`the key prefix is longer than ${MAX_PREFIX} bytes`);
  if (prefix !== prefix.trim()) throw new TypeError(`the key prefix '${prefix}' has leading or trailing white space`);
  return prefix;
}
