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
