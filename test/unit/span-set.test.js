// SpanSet against a plain model: the spans a range overlaps, in order, whatever order the
// spans were added and removed in.
const { SpanSet } = require('../../dist/store/span-set');

function random(seed) {
  let x = seed;
  return (n) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return Math.floor(x / 65536) % n; // the high bits: the low ones of this generator repeat quickly
  };
}

test('overlapping() finds exactly the spans sharing a byte with a range, in order of offset', () => {
  const set = new SpanSet();
  const model = new Map();
  const r = random(3);
  let most = 0;
  for (let step = 0; step < 4000; step++) {
    const start = r(256) * 16;
    const len = 16 * (1 + r(3));
    const hit = [...model].filter(([s, b]) => s < start + len && s + b.length > start).sort((a, b) => a[0] - b[0]);
    expect(set.overlapping(start, start + len).map(([s]) => s)).toEqual(hit.map(([s]) => s));
    if (hit.length === 0 && r(3) > 0) {
      const b = new Uint8Array(len);
      set.set(start, b);
      model.set(start, b);
    } else if (hit.length > 0 && r(4) === 0) {
      const [s] = hit[r(hit.length)];
      set.delete(s);
      model.delete(s);
    }
    expect(set.size).toBe(model.size);
    most = Math.max(most, model.size);
  }
  const sorted = [...model.keys()].sort((a, b) => a - b);
  expect(set.entries().map(([s]) => s)).toEqual(sorted);
  expect(most).toBeGreaterThan(50); // the walk met long lists, not just a few spans
});

test('a span replaced at the same start keeps one entry; touching spans do not overlap', () => {
  const set = new SpanSet();
  set.set(0, new Uint8Array(4));
  set.set(4, new Uint8Array(4));
  set.set(0, new Uint8Array([1, 2, 3, 4]));
  expect(set.size).toBe(2);
  expect([...new Map(set.entries()).get(0)]).toEqual([1, 2, 3, 4]);
  expect(set.overlapping(4, 8).map(([s]) => s)).toEqual([4]);
  expect(set.overlapping(3, 5).map(([s]) => s)).toEqual([0, 4]);
  expect(set.overlapping(8, 12)).toEqual([]);
  set.delete(99); // absent: nothing happens
  expect(set.size).toBe(2);
});
