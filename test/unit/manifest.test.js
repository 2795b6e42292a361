// The manifest's encoding and the checks that keep a damaged or foreign one from being used.
const { encodeManifest, parseManifest, emptyManifest, blockCrc32, blockKeyParts, newBlockKey } = require('../../dist/store/versioned/manifest');

const enc = (o) => new TextEncoder().encode(JSON.stringify(o));

test('a manifest round-trips, with each block size and CRC recorded', () => {
  const m = { ...emptyManifest(4096), pageSize: 4096, size: 5000, commit: 3, generation: 2, blocks: [{ key: 'v/a', crc32: blockCrc32(new Uint8Array(4096)) }, { key: 'v/b' }], id: 'abc' };
  const stored = JSON.parse(new TextDecoder().decode(encodeManifest(m)));
  expect(stored.blocks).toEqual([{ key: 'v/a', size: 4096, crc32: m.blocks[0].crc32 }, { key: 'v/b', size: 904 }]);
  expect(parseManifest('k', encodeManifest(m))).toEqual(m);
});

test('version 1 (keys only) is read as version 2', () => {
  const v1 = { format: 'sqlite-s3vfs/versioned', version: 1, pageSize: 0, blockSize: 4, size: 4, commit: 1, generation: 1, blocks: ['0000000000'] };
  expect(parseManifest('k', enc(v1)).blocks).toEqual([{ key: '0000000000' }]);
});

test.each([
  ['not JSON', new TextEncoder().encode('{'), /is not a sqlite-s3vfs manifest/],
  ['another format', enc({ format: 'x' }), /format is "x"/],
  ['a future version', enc({ ...emptyManifest(4), version: 9 }), /version 9 is not supported/],
  ['a block count that does not match the size', enc({ ...emptyManifest(4), size: 9, blocks: [] }), /lists 0 blocks for 9 bytes/],
  ['a key that escapes the prefix', enc({ ...emptyManifest(4), size: 4, blocks: [{ key: '../x', size: 4 }] }), /block 0 has no relative key/],
  ['a wrong block size', enc({ ...emptyManifest(4), size: 4, blocks: [{ key: 'v/x', size: 3 }] }), /block 0 has size 3, expected 4/],
  ['a malformed CRC', enc({ ...emptyManifest(4), size: 4, blocks: [{ key: 'v/x', size: 4, crc32: 'XYZ' }] }), /crc32 "XYZ"/],
  ['a negative commit', enc({ ...emptyManifest(4), commit: -1 }), /commit is -1/],
])('refused with EBADMANIFEST: %s', (_, bytes, message) => {
  expect(() => parseManifest('db/manifest.json', bytes)).toThrow(message);
  try {
    parseManifest('db/manifest.json', bytes);
  } catch (err) {
    expect(err.code).toBe('EBADMANIFEST');
    expect(err.message).toMatch(/^db\/manifest\.json /);
  }
});

test('block keys carry their index and commit, are never reused, and seed keys count as commit 0', () => {
  const a = newBlockKey(7, 12);
  expect(blockKeyParts(a)).toEqual({ index: 7, commit: 12 });
  expect(newBlockKey(7, 12)).not.toBe(a);
  expect(blockKeyParts('0000000003')).toEqual({ index: 3, commit: 0 });
  expect(blockKeyParts('manifest.json')).toBeNull();
});
