// A conditional PUT's outcome is decided by reading the object back, never guessed.
const { MemoryObjects } = require('../../dist/store/memory-objects');
const { putResolved } = require('../../dist/store/conditional-put');

const bytes = (s) => new TextEncoder().encode(s);

test('applied, answered: done', async () => {
  const s3 = new MemoryObjects();
  expect(await putResolved(s3, 'k', bytes('a'), { ifNoneMatch: '*' })).toMatchObject({ applied: true });
});

test('applied but the answer was lost: read back, found to be ours, done', async () => {
  const s3 = new MemoryObjects();
  s3.loseAnswer = () => true;
  const r = await putResolved(s3, 'k', bytes('mine'), { ifNoneMatch: '*' });
  expect(r).toEqual({ applied: true, etag: await s3.head('k') });
});

test('refused on condition: not applied, and what the object holds', async () => {
  const s3 = new MemoryObjects();
  await s3.put('k', bytes('theirs'));
  const r = await putResolved(s3, 'k', bytes('mine'), { ifNoneMatch: '*' });
  expect(r).toMatchObject({ applied: false, lost: false, current: { body: bytes('theirs') } });
});

test('lost before it landed: not applied, lost (a copy may still arrive)', async () => {
  const s3 = new MemoryObjects();
  s3.faults = (op) => (op === 'PUT' ? Object.assign(new Error('timeout'), { answerLost: true }) : undefined);
  const r = await putResolved(s3, 'k', bytes('mine'), { ifNoneMatch: '*' });
  expect(r).toMatchObject({ applied: false, lost: true, current: null });
});

test('lost, and the object cannot be read back: EUNKNOWN', async () => {
  const s3 = new MemoryObjects();
  s3.faults = () => Object.assign(new Error('down'), { answerLost: true });
  await expect(putResolved(s3, 'k', bytes('mine'), { ifNoneMatch: '*' })).rejects.toMatchObject({ code: 'EUNKNOWN' });
});

test('refused outright (a 4xx): the error itself, nothing read back', async () => {
  const s3 = new MemoryObjects();
  s3.faults = (op) => (op === 'PUT' ? Object.assign(new Error('AccessDenied'), { code: 'AccessDenied' }) : undefined);
  await expect(putResolved(s3, 'k', bytes('mine'), { ifNoneMatch: '*' })).rejects.toThrow('AccessDenied');
  expect(s3.counters.read().get).toBe(0);
});
