// The single-writer lease, on the in-memory store: who may take it, when, and with what
// generation (docs/FORMAT.md, "The lease").
const { MemoryObjects } = require('../../dist/store/memory-objects');
const { Lease, BusyError } = require('../../dist/store/versioned/lease');

const KEY = 'db/lease.json';
const read = async (s3) => JSON.parse(new TextDecoder().decode((await s3.get(KEY)).body));

test('the first writer takes generation minGeneration + 1; a second is BUSY and named', async () => {
  const s3 = new MemoryObjects();
  const a = new Lease(s3, KEY, 30_000, 'host-a');
  const b = new Lease(s3, KEY, 30_000, 'host-b');
  expect(await a.acquire(4)).toBe(true);
  expect(a.generation).toBe(5);
  expect((await read(s3)).owner).toBe('host-a');
  const err = await b.acquire(4).catch((e) => e);
  expect(err).toBeInstanceOf(BusyError);
  expect(err.code).toBe('EBUSY');
  expect(err.message).toMatch(/being written by host-a/);
  // Held and fresh: acquiring again is a no-op, with no request.
  const puts = s3.counters.read().put;
  expect(await a.acquire(4)).toBe(false);
  expect(s3.counters.read().put).toBe(puts);
});

test('a released lease is taken over at once, with a higher generation', async () => {
  const s3 = new MemoryObjects();
  const a = new Lease(s3, KEY, 30_000, 'host-a');
  await a.acquire(0);
  await a.release();
  expect((await read(s3)).released).toBe(true);
  const b = new Lease(s3, KEY, 30_000, 'host-b');
  expect(await b.acquire(0)).toBe(true);
  expect(b.generation).toBe(2);
});

test('an expired lease is taken over; its old holder finds out at its next renewal', async () => {
  const s3 = new MemoryObjects();
  const a = new Lease(s3, KEY, 40, 'host-a');
  await a.acquire(0);
  await new Promise((r) => setTimeout(r, 60));
  const b = new Lease(s3, KEY, 30_000, 'host-b');
  expect(await b.acquire(0)).toBe(true);
  expect(b.generation).toBe(2);
  await expect(a.renewIfDue()).rejects.toThrow(/another writer took it over/);
  expect(a.generation).toBeUndefined();
});

test('a renewal whose outcome is unknown fails with ELEASE: the writer may not commit', async () => {
  const s3 = new MemoryObjects();
  const a = new Lease(s3, KEY, 40, 'host-a');
  await a.acquire(0);
  await new Promise((r) => setTimeout(r, 30));
  // The PUT's answer is lost, and so is the read that would have told whether it landed.
  s3.faults = (op) => (op === 'PUT' || op === 'GET' ? Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', answerLost: true }) : undefined);
  const err = await a.renewIfDue().catch((e) => e);
  expect(err.code).toBe('ELEASE');
  expect(a.generation).toBeUndefined();
});

test('an object at the lease key that is not a lease is named', async () => {
  const s3 = new MemoryObjects();
  await s3.put(KEY, new TextEncoder().encode('{"hello":1}'));
  await expect(new Lease(s3, KEY, 1000, 'x').acquire(0)).rejects.toMatchObject({ code: 'EBADLEASE', message: expect.stringMatching(/not a sqlite-s3vfs lease/) });
});
