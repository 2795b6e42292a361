// A script that never calls close() still exits, and its commits are durable.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { config, makeVfs, closeAll, uniquePrefix } = require('../support/helpers');

afterAll(closeAll);

function runScript(prefix, mode) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'support', 'exit-without-close.js'), JSON.stringify({ bucket: config.bucket, s3: config.s3, prefix, mode })]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

test('a script exits on its own without vfs.close(), its commits kept', async () => {
  const prefix = uniquePrefix('exit');
  const start = Date.now();
  const { code, out } = await runScript(prefix, 'plain');
  expect(out).toContain('WROTE');
  expect(code).toBe(0);
  expect(Date.now() - start).toBeLessThan(15000);
  const db = makeVfs().open(prefix);
  expect(db.prepare('SELECT v FROM t').pluck().get()).toBe('committed before exit');
  db.close();
});

test('a script awaiting serialize, deserialize and close at top level lives until they finish', async () => {
  const prefix = uniquePrefix('await');
  const { code, out } = await runScript(prefix, 'await');
  expect(out).toContain('DONE');
  expect(code).toBe(0);
  const db = makeVfs().open(`${prefix}-copy`);
  expect(db.prepare('SELECT v FROM t').pluck().get()).toBe('committed before exit');
  db.close();
});
