// The jest globals the test files use, typed from @jest/globals, for `tsc -p test` (checkJs).
import type * as g from '@jest/globals';

declare global {
  const test: typeof g.test;
  const it: typeof g.it;
  const describe: typeof g.describe;
  const expect: typeof g.expect;
  const beforeAll: typeof g.beforeAll;
  const afterAll: typeof g.afterAll;
  const beforeEach: typeof g.beforeEach;
  const afterEach: typeof g.afterEach;
  const jest: typeof g.jest;
}
