// The in-memory ObjectStore the unit tests stand on must behave as S3 does where the
// layouts depend on it: conditions, ETags, listing, ranges.
const { MemoryObjects } = require('../../dist/store/memory-objects');
const { PreconditionFailed } = require('../../dist/store/object-store');

const bytes = (s) => new TextEncoder().encode(s);

test('If-None-Match: * creates once; If-Match replaces only the object it names', async () => {
  const s3 = new MemoryObjects();
  const e1 = await s3.put('a', bytes('one'), { ifNoneMatch: '*' });
  await expect(s3.put('a', bytes('two'), { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailed);
  await expect(s3.put('a', bytes('two'), { ifMatch: '"nope"' })).rejects.toBeInstanceOf(PreconditionFailed);
  await expect(s3.put('missing', bytes('x'), { ifMatch: e1 })).rejects.toBeInstanceOf(PreconditionFailed);
  const e2 = await s3.put('a', bytes('two'), { ifMatch: e1 });
  expect(e2).not.toBe(e1);
  expect(new TextDecoder().decode((await s3.get('a')).body)).toBe('two');
  // Equal bytes, equal ETags, as S3's MD5 ETags are.
  expect(await s3.put('b', bytes('one'))).toBe(e1);
});

test('a store that ignores conditions (as s3rver does) lets every PUT through', async () => {
  const s3 = new MemoryObjects();
  s3.honoursConditions = false;
  await s3.put('a', bytes('one'), { ifNoneMatch: '*' });
  await expect(s3.put('a', bytes('two'), { ifNoneMatch: '*' })).resolves.toBeDefined();
});

test('get: null when missing, ranges, If-None-Match; head', async () => {
  const s3 = new MemoryObjects();
  expect(await s3.get('none')).toBeNull();
  expect(await s3.head('none')).toBeNull();
  const etag = await s3.put('k', bytes('0123456789'));
  expect(new TextDecoder().decode((await s3.get('k', { start: 2, end: 5 })).body)).toBe('234');
  expect(await s3.getIfChanged('k', etag)).toBe('unchanged');
  expect(await s3.getIfChanged('k', '"old"')).toMatchObject({ etag });
  expect(await s3.head('k')).toBe(etag);
  // What a caller gets is a copy: changing it does not change the object.
  (await s3.get('k')).body[0] = 0;
  expect((await s3.get('k')).body[0]).toBe('0'.charCodeAt(0));
});

test('list is in key order, one level under the prefix; listPrefixes gives the folders', async () => {
  const s3 = new MemoryObjects();
  for (const k of ['db/0000000001', 'db/0000000000', 'db/v/x', 'db-journal/0000000000', 'other/a']) await s3.put(k, bytes(k));
  expect((await s3.list('db/')).map((o) => o.key)).toEqual(['db/0000000000', 'db/0000000001']);
  expect((await s3.list('db/', 1)).map((o) => o.key)).toEqual(['db/0000000000']);
  expect(await s3.listPrefixes('')).toEqual(['db-journal/', 'db/', 'other/']);
  expect(await s3.listPrefixes('db/')).toEqual(['db/v/']);
  await s3.deleteKeys(['db/0000000000', 'never-there']);
  expect(s3.keys()).toEqual(['db-journal/0000000000', 'db/0000000001', 'db/v/x', 'other/a']);
});

test('requests are counted as S3Objects counts them, and a fault hook fails chosen ones', async () => {
  const s3 = new MemoryObjects();
  await s3.put('k', bytes('abc'));
  await s3.get('k', { start: 0, end: 1 });
  await s3.list('');
  const c = s3.counters.read();
  expect([c.put, c.get, c.getRange, c.list, c.bytesUp, c.bytesDown]).toEqual([1, 1, 1, 1, 3, 1]);
  s3.faults = (op, key) => (op === 'PUT' && key === 'bad' ? Object.assign(new Error('boom'), { answerLost: true }) : undefined);
  await expect(s3.put('bad', bytes('x'))).rejects.toThrow('boom');
  await expect(s3.put('good', bytes('x'))).resolves.toBeDefined();
});
