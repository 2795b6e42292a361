// The compact table of block ETags gives back exactly what was put in it.
const { EtagTable } = require('../../dist/store/compat/etag-table');

test('MD5 ETags, quoted or not, and other forms come back as they were set', () => {
  const t = new EtagTable();
  const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
  t.set(0, `"${md5}"`);
  t.set(1000, md5);
  t.set(5, '"3858f62230ac3c915f300c664312c11f-2"'); // multipart
  t.set(7, 'opaque');
  expect(t.get(0)).toBe(`"${md5}"`);
  expect(t.get(1000)).toBe(md5);
  expect(t.get(5)).toBe('"3858f62230ac3c915f300c664312c11f-2"');
  expect(t.get(7)).toBe('opaque');
  expect(t.get(1)).toBeUndefined();
  expect(t.get(5000)).toBeUndefined();
  t.set(7, `"${'a'.repeat(32)}"`); // an MD5 replaces another form
  expect(t.get(7)).toBe(`"${'a'.repeat(32)}"`);
  t.delete(0);
  expect(t.get(0)).toBeUndefined();
  t.clear();
  expect(t.get(1000)).toBeUndefined();
});

test('a million MD5 ETags take 16 bytes each, not a string each', () => {
  const t = new EtagTable();
  for (let i = 0; i < 1_000_000; i++) t.set(i, `"${i.toString(16).padStart(32, '0')}"`);
  expect(t.get(123456)).toBe(`"${(123456).toString(16).padStart(32, '0')}"`);
  // Its private storage, looked at on purpose: the test is about how much it holds.
  const inside = /** @type {any} */ (t);
  expect(inside.other.size).toBe(0);
  expect(inside.md5.byteLength).toBeLessThanOrEqual(2 * 16 * 1_000_000);
});
