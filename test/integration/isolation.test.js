// What one process shares and what it keeps to itself: connections of every S3VFS of the
// process lock each other on a database (one lock table per process), and no secret given
// in the options ever shows up in an error message.
const { config, makeVfs, closeAll, uniquePrefix } = require('../support/helpers');
const { S3VFS } = require('../..');

afterAll(closeAll);

describe.each(['compat', 'versioned'])('%s layout', (layout) => {
  test('two S3VFS instances of one process lock each other: no write is lost', () => {
    const prefix = uniquePrefix(`two-vfs-${layout}`);
    const a = makeVfs({ layout }).open(prefix);
    a.exec('CREATE TABLE t(x)');
    const b = makeVfs({ layout }).open(prefix, { timeout: 0 });
    b.prepare('SELECT count(*) FROM t').get();
    a.exec('BEGIN IMMEDIATE; INSERT INTO t VALUES (1)');
    expect(() => b.prepare('INSERT INTO t VALUES (2)').run()).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
    a.exec('COMMIT');
    a.close(); // a versioned writer's lease goes with its last connection
    b.prepare('INSERT INTO t VALUES (2)').run();
    b.close();
    const check = makeVfs().open(prefix, { readonly: true });
    expect(check.prepare('SELECT x FROM t ORDER BY x').pluck().all()).toEqual([1, 2]);
    check.close();
  });
});

test('a credential provider is refused without its source in the message', () => {
  const secret = 'shh-the-secret-key-1234';
  const provider = async () => ({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: secret });
  let error;
  try {
    new S3VFS({ bucket: config.bucket, s3: { ...config.s3, credentials: provider } });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(TypeError);
  expect(error.message).toMatch(/s3\.credentials is a function/);
  expect(error.message).not.toContain(secret);
});

test('a password in the endpoint is never printed', async () => {
  const vfs = makeVfs({ s3: { ...config.s3, endpoint: 'http://someone:supersecret@127.0.0.1:9', maxAttempts: 1 }, connectTimeoutMs: 500 });
  let error;
  try {
    vfs.open(uniquePrefix('password')).prepare('SELECT 1').get();
  } catch (err) {
    error = err;
  }
  expect(error).toBeDefined();
  const text = `${error.message} ${error.cause?.message ?? ''} ${vfs.lastError?.message ?? ''}`;
  expect(text).toMatch(/someone:\*\*\*@127\.0\.0\.1:9/);
  expect(text).not.toContain('supersecret');
});
