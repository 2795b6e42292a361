// How a listing of block objects is read: the seed's layout, torn uploads, wrong block sizes.
const { blockKey, blockIndexOf, readListing } = require('../../dist/store/compat/block-layout');

const blocks = (...sizes) => sizes.map((size, index) => ({ index, size }));

test('keys are the name, a slash and ten digits', () => {
  expect(blockKey('my/db.sqlite', 0)).toBe('my/db.sqlite/0000000000');
  expect(blockKey('x', 1234567)).toBe('x/0001234567');
  expect(blockIndexOf('x', 'x/0000000042')).toBe(42);
  expect(blockIndexOf('x', 'x/0000000042/0000000000')).toBe(-1);
  expect(blockIndexOf('x', 'x/42')).toBe(-1);
});

test('full blocks and a short last one make the file', () => {
  expect(readListing('f', blocks(4095, 4095, 2), 4095)).toEqual({ size: 8192, count: 3, orphans: [] });
  expect(readListing('f', [], 4096)).toEqual({ size: 0, count: 0, orphans: [] });
});

test('blocks after a gap are orphans of a torn upload, not part of the file', () => {
  const listed = [{ index: 0, size: 4096 }, { index: 1, size: 4096 }, { index: 3, size: 4096 }, { index: 4, size: 100 }];
  expect(readListing('f', listed, 4096)).toEqual({ size: 8192, count: 2, orphans: [3, 4] });
  expect(readListing('f', [{ index: 2, size: 4096 }], 4096)).toEqual({ size: 0, count: 0, orphans: [2] });
});

test('a block longer than the block size is an error that names both', () => {
  expect(() => readListing('f', blocks(4096, 4096), 4095)).toThrow(/block 0 of 'f' has 4096 bytes but the block size is 4095.*blockSize: 4096/);
});

test('the file ends at a short block: what follows was left by a torn upload', () => {
  expect(readListing('f', blocks(4096, 100, 4096, 4096), 4096)).toEqual({ size: 4196, count: 2, orphans: [2, 3] });
});
