// What a database name (its key prefix in the bucket) may be: docs/FORMAT.md, "Prefixes".
// The rules keep every key a database uses under that prefix, whatever the server or a
// proxy in between does with a URL path: servers that normalise paths (s3rver, some
// gateways) would resolve "." and ".." segments, and an empty segment or a leading "/"
// reaches S3 as another key than it looks. Both threads check them: the API before it
// starts, the worker for every name SQLite opens (journals, ATTACH, VACUUM INTO).

const MAX_PREFIX = 900; // SQLite appends "-journal" etc.; S3 keys stop at 1024 bytes

/** Why `prefix` may not name a database, or null if it may. */
export function prefixProblem(prefix: unknown): string | null {
  if (typeof prefix !== 'string') return 'a database name (key prefix) must be a string';
  if (prefix === '' || prefix === ':memory:') return `'${prefix}' is not a key prefix in the bucket`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(prefix)) return `the key prefix ${JSON.stringify(prefix)} contains a control character`;
  if (prefix.startsWith('/')) return `the key prefix '${prefix}' starts with '/': keys in a bucket have no leading '/'`;
  if (prefix.endsWith('/')) return `the key prefix '${prefix}' must not end with '/': blocks are stored under '${prefix}/'`;
  const segments = prefix.split('/');
  if (segments.includes('')) return `the key prefix '${prefix}' has an empty segment ('//')`;
  const dots = segments.find((s) => s === '.' || s === '..');
  if (dots) return `the key prefix '${prefix}' has a '${dots}' segment, which a server may resolve to another key`;
  if (Buffer.byteLength(prefix) > MAX_PREFIX) return `the key prefix is longer than ${MAX_PREFIX} bytes`;
  if (prefix !== prefix.trim()) return `the key prefix '${prefix}' has leading or trailing white space`;
  return null;
}

/** The prefix, or a TypeError that names the rule it breaks. */
export function checkPrefix(prefix: unknown): string {
  const problem = prefixProblem(prefix);
  if (problem) throw new TypeError(problem);
  return prefix as string;
}
