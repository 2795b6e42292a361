// Shared test plumbing: the S3 server under test, unique prefixes, VFS clean-up,
// and plain local SQLite files to compare against.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { S3Client, ListObjectsV2Command, GetObjectCommand, PutObjectCommand } = require('@aws-sdk/client-s3');
const { S3VFS } = require('../..');
const { startFaultProxy } = require('./fault-proxy');

const config = JSON.parse(process.env.S3VFS_TEST_CONFIG);
const RUN = `run-${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}`;

/** A key prefix no other test uses. */
function uniquePrefix(label = 'db') {
  return `${RUN}/${label}-${crypto.randomBytes(4).toString('hex')}.sqlite`;
}

const open = [];
function makeVfs(options = {}) {
  // The suites written for the seed layout keep it; versioned.test.js asks for the default.
  // No disk cache unless a test asks: the suites count the GETs a new reader makes.
  const vfs = new S3VFS({ bucket: config.bucket, s3: config.s3, layout: 'compat', diskCacheSize: 0, ...options });
  open.push(vfs);
  return vfs;
}
async function closeAll() {
  await Promise.allSettled(open.splice(0).map((v) => v.close()));
}

/**
 * For a test file whose faults come from a proxy in its own process: starts one in front of
 * the local s3rver before the file's tests, and after them closes every VFS made here, then
 * the proxy. Returns a handle that holds the proxy's fields (s3, faults, reset, log) once
 * started. `who` names the tests in the error when there is no local s3rver.
 */
function useFaultProxy(who) {
  const proxy = {};
  beforeAll(async () => {
    if (!config.port) throw new Error(`${who} put a proxy in front of the local s3rver`);
    Object.assign(proxy, await startFaultProxy(config.port, config.s3));
  });
  afterAll(async () => {
    await closeAll();
    await proxy.close?.();
  });
  return proxy;
}

/**
 * The same endpoint written another way (a trailing '/'): a VFS with it is as if on another
 * machine (this process's lock table keys databases by endpoint, so it waits for nobody's).
 */
function elsewhere(s3) {
  return { ...s3, endpoint: s3.endpoint.endsWith('/') ? s3.endpoint.slice(0, -1) : `${s3.endpoint}/` };
}

/** A plain S3 client, to look at and plant objects behind the VFS's back. */
function rawClient() {
  return new S3Client({ ...config.s3, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
}

async function listObjects(client, prefix) {
  const out = [];
  let token;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) out.push({ key: o.Key, size: o.Size });
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function getObject(client, key) {
  const r = await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }));
  return Buffer.from(await r.Body.transformToByteArray());
}

async function putObject(client, key, body) {
  await client.send(new PutObjectCommand({ Bucket: config.bucket, Key: key, Body: body }));
}

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 's3vfs-test-'));
}

async function collect(readable) {
  const parts = [];
  for await (const c of readable) {
    if (c.length === 0) throw new Error('serialize yielded an empty chunk');
    parts.push(Buffer.from(c));
  }
  return Buffer.concat(parts);
}

/** A table expression of the integers 1..n in a column named value (no generate_series in this build). */
function series(n) {
  return `(WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < ${n}) SELECT value FROM s)`;
}

/** Runs fn, returning what it threw (if anything) and how long it took. */
function timed(fn) {
  const start = Date.now();
  let error;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  return { error, ms: Date.now() - start };
}

/** Blocks this thread, as a long synchronous query would. */
function busyWait(ms) {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

module.exports = { useFaultProxy, elsewhere, timed, busyWait, series, config, uniquePrefix, makeVfs, closeAll, rawClient, listObjects, getObject, putObject, tempDir, collect, RUN };
