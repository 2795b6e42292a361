// The Node and better-sqlite3 this runs on: a pair that cannot work is refused with a
// message naming the fix, and the pair installed here survives garbage collection of
// connections and statements from V8's own tasks and at exit (better-sqlite3 12 on
// Node 24.19 and later aborts there: nodejs/node#65446).
const { spawn } = require('node:child_process');
const path = require('node:path');
const { unsupportedReason, betterSqlite3Version } = require('../../dist/better-sqlite3');
const { config, uniquePrefix } = require('../support/helpers');

test(`the installed better-sqlite3 (${betterSqlite3Version}) runs on this Node (${process.versions.node})`, () => {
  expect(unsupportedReason()).toBeNull();
});

test.each([
  ['12.11.1', '20.20.2', null],
  ['12.11.1', '22.23.3', null],
  ['12.11.1', '24.18.0', null],
  ['12.11.1', '24.19.0', /aborts the process on Node 24\.19\.0 .*install better-sqlite3 13/],
  ['12.11.1', '26.1.0', /aborts the process/],
  ['13.2.0', '20.20.2', /needs Node 22 or later .*install better-sqlite3 12/],
  ['13.2.0', '22.0.0', null],
  ['13.2.0', '24.21.0', null],
  ['11.10.0', '20.20.2', /works with better-sqlite3 12 and 13, not 11\.10\.0/],
])('better-sqlite3 %s on Node %s', (version, node, expected) => {
  const why = unsupportedReason(version, node);
  if (expected === null) expect(why).toBeNull();
  else expect(why).toMatch(expected);
});

test('a process that drops many connections and statements to the garbage collector exits cleanly', async () => {
  const args = JSON.stringify({ bucket: config.bucket, s3: config.s3, prefix: uniquePrefix('gc-churn') });
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'support', 'gc-churn.js'), args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const [code, signal] = await new Promise((resolve) => child.on('close', (c, s) => resolve([c, s])));
  expect({ code, signal, out: out.slice(-2000) }).toEqual({ code: 0, signal: null, out: expect.stringContaining('DONE') });
});
