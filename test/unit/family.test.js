// Which files belong to a database (lib/store/family.ts; native/family.h is its C++ twin).
const { inFamily } = require('../../dist/store/family');

test.each([
  ['db', 'db', true],
  ['db-journal', 'db', true],
  ['db-wal', 'db', true],
  ['db-mj1A2B3C4D', 'db', true],
  ['db-archive', 'db', false],
  ['db-journal2', 'db', false],
  ['db-mj', 'db', false],
  ['db-mjXYZ', 'db', false],
  ['dbx-journal', 'db', false],
  ['reports/2026-archive', 'reports/2026', false],
  ['reports/2026-archive-journal', 'reports/2026-archive', true],
])('%s in the family of %s: %s', (name, main, expected) => {
  expect(inFamily(name, main)).toBe(expected);
});

const { databaseOf } = require('../../dist/store/family');
const { Families } = require('../../dist/store/families');

test.each([
  ['db-journal', 'db'],
  ['db-wal', 'db'],
  ['a/b-c-mj0F', 'a/b-c'],
  ['db', undefined],
  ['db-archive', undefined],
  ['-journal', undefined],
])('the database of %s is %s', (name, main) => {
  expect(databaseOf(name)).toBe(main);
});

test('families: a database with its derived files, found by lookup either way', () => {
  const files = new Families();
  const file = (name) => /** @type {any} */ ({ name });
  for (const n of ['db', 'db-journal', 'db-archive', 'db-archive-journal', 'other-wal']) files.set(n, file(n));
  expect(files.family('db-journal').map((f) => f.name)).toEqual(['db', 'db-journal']);
  expect(files.family('db').map((f) => f.name)).toEqual(['db', 'db-journal']);
  expect(files.family('db-archive').map((f) => f.name)).toEqual(['db-archive', 'db-archive-journal']);
  expect(files.databaseName('db-archive-journal')).toBe('db-archive');
  // A derived file whose database is not known here is its own family.
  expect(files.databaseName('other-wal')).toBe('other-wal');
  expect(files.family('other-wal').map((f) => f.name)).toEqual(['other-wal']);
  files.delete('db-journal');
  expect(files.family('db').map((f) => f.name)).toEqual(['db']);
  expect(files.derivedOf('db')).toEqual([]);
});
