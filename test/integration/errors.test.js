// Bad input and unreachable services give clear errors within seconds, and nothing hangs.
const net = require('node:net');
const { S3VFS } = require('../..');
const { config, makeVfs, closeAll, uniquePrefix, rawClient, listObjects, timed } = require('../support/helpers');

const client = rawClient();
afterAll(async () => {
  await closeAll();
  client.destroy();
});

/** Expects fn to throw within `seconds`, with a message matching `pattern`; returns the error. */
function expectFastError(fn, pattern, seconds = 10) {
  const { error, ms } = timed(fn);
  expect(error).toBeDefined();
  expect(error.message).toMatch(pattern);
  expect(ms).toBeLessThan(seconds * 1000);
  return error;
}

// s3rver knows only the access key S3RVER and does not check signatures, so a wrong
// secret can only be caught by a real endpoint (S3VFS_ENDPOINT with credentials).
const checksSignatures = config.external && !!config.s3.credentials;

test('a missing bucket is named', () => {
  const vfs = makeVfs({ bucket: 'no-such-bucket-s3vfs' });
  const err = expectFastError(() => vfs.open(uniquePrefix()), /NoSuchBucket: no-such-bucket-s3vfs/);
  expect(err.code).toBe('SQLITE_CANTOPEN');
  expect(err.cause.code).toBe('NoSuchBucket');
  expect(vfs.lastError.message).toMatch(/NoSuchBucket/);
});

test('a wrong access key is named', () => {
  const vfs = makeVfs({ s3: { ...config.s3, credentials: { accessKeyId: 'WRONG-KEY-ID', secretAccessKey: 'x' } } });
  expectFastError(() => vfs.open(uniquePrefix()), /InvalidAccessKeyId/);
});

(checksSignatures ? test : test.skip)('a wrong secret key is named', () => {
  const vfs = makeVfs({ s3: { ...config.s3, credentials: { ...config.s3.credentials, secretAccessKey: 'wrong' } } });
  expectFastError(() => vfs.open(uniquePrefix()), /SignatureDoesNotMatch/);
});

test('an endpoint nobody listens on is named', async () => {
  const port = await new Promise((/** @type {(port: number) => void} */ resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = /** @type {import('node:net').AddressInfo} */ (s.address()).port;
      s.close(() => resolve(p));
    });
  });
  const vfs = makeVfs({ s3: { ...config.s3, endpoint: `http://127.0.0.1:${port}` } });
  expectFastError(() => vfs.open(uniquePrefix()), new RegExp(`ECONNREFUSED.*127.0.0.1:${port}`));
});

test('an endpoint that accepts but never answers times out', async () => {
  const sockets = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const vfs = makeVfs({ s3: { ...config.s3, endpoint: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}` }, requestTimeoutMs: 500 });
  try {
    expectFastError(() => vfs.open(uniquePrefix()), /TimeoutError|did not answer/, 15);
  } finally {
    sockets.forEach((s) => s.destroy());
    server.close();
  }
});

test('bad options are refused up front, naming the option', () => {
  // @ts-expect-error: no bucket, on purpose
  expect(() => new S3VFS({})).toThrow(/bucket must be an S3 bucket name/);
  expect(() => new S3VFS({ bucket: 'b', blockSize: 0 })).toThrow(/blockSize must be a positive integer/);
  expect(() => new S3VFS({ bucket: 'b', blockSize: 1.5 })).toThrow(/blockSize/);
  // @ts-expect-error: a provider that gives no credentials, on purpose
  expect(() => new S3VFS({ bucket: 'b', s3: { credentials: async () => ({}) } })).toThrow(/plain data/);
  const vfs = makeVfs();
  expect(() => vfs.open('')).toThrow(/not a key prefix/);
  expect(() => vfs.open('a/')).toThrow(/must not end with '\/'/);
  // @ts-expect-error: not a string, on purpose
  expect(() => vfs.open(42)).toThrow(/must be a string/);
});

test('a database that does not exist is not created by a read-only open', () => {
  const vfs = makeVfs();
  const prefix = uniquePrefix('absent');
  expectFastError(() => vfs.open(prefix, { readonly: true }), /no database at s3:\/\/.*absent/);
  expectFastError(() => vfs.open(prefix, { fileMustExist: true }), /no database at/);
});

test('serialize of a missing database fails clearly', async () => {
  const vfs = makeVfs();
  const s = vfs.serialize(uniquePrefix('missing'));
  await expect((async () => { for await (const _ of s); })()).rejects.toThrow(/no database at s3:\/\//);
});

test('deserialize refuses what is not a SQLite file and leaves nothing behind', async () => {
  const vfs = makeVfs();
  const prefix = uniquePrefix('junk');
  await expect(vfs.deserialize(prefix, [Buffer.alloc(10000, 7)])).rejects.toThrow(/not a SQLite database/);
  await expect(vfs.deserialize(prefix, [])).rejects.toThrow(/empty/);
  // @ts-expect-error: not bytes, on purpose
  await expect(vfs.deserialize(prefix, 'a string')).rejects.toThrow(/Uint8Array/);
  expect(await listObjects(client, `${prefix}/`)).toEqual([]);
});

test('deserialize refuses a truncated SQLite file and leaves nothing behind', async () => {
  const vfs = makeVfs();
  const src = uniquePrefix('src');
  const db = vfs.open(src);
  db.exec('CREATE TABLE t(v); INSERT INTO t VALUES (randomblob(20000))');
  db.close();
  const chunks = [];
  for await (const c of vfs.serialize(src)) chunks.push(Buffer.from(c));
  const whole = Buffer.concat(chunks);
  const prefix = uniquePrefix('truncated');
  await expect(vfs.deserialize(prefix, [whole.subarray(0, whole.length - 100)])).rejects.toThrow(/not a whole number of 4096-byte pages/);
  expect(await listObjects(client, `${prefix}/`)).toEqual([]);
});

test('after an S3 error the same VFS keeps working', () => {
  const vfs = makeVfs();
  const prefix = uniquePrefix('after');
  const db = vfs.open(prefix);
  db.exec('CREATE TABLE t(v)');
  expect(() => vfs.open('bad/')).toThrow();
  db.exec("INSERT INTO t VALUES ('fine')");
  expect(db.prepare('SELECT v FROM t').pluck().get()).toBe('fine');
  db.close();
});
