// Where the loader looks for the addon, and what it says when there is none (npm skipped the
// install script on a platform with no prebuilt binary).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { locateAddon, platformTag, prebuilt, sourceBuild } = require('../../install/locate-addon');

test('the platform tag names os and cpu, and musl apart from glibc', () => {
  expect(platformTag()).toMatch(/^[a-z0-9]+-[a-z0-9]+(-musl)?$/);
  expect(platformTag().startsWith(`${process.platform}-${process.arch}`)).toBe(true);
  expect(prebuilt('linux-x64')).toBe(path.join(__dirname, '..', '..', 'prebuilds', 'linux-x64', 's3vfs.node'));
});

test('a checkout loads its own build', () => {
  expect(fs.existsSync(sourceBuild)).toBe(true);
  expect(locateAddon()).toBe(sourceBuild);
});

test('with no addon at all, the error names the platform and the fix', () => {
  const locator = require.resolve('../../install/locate-addon');
  const script = `
    const Module = require('node:module');
    const m = new Module(${JSON.stringify(locator)});
    m.exports = { locateAddon: () => undefined, platformTag: () => 'plan9-mips' };
    m.loaded = true;
    require.cache[${JSON.stringify(locator)}] = m;
    try { require(${JSON.stringify(path.join(__dirname, '..', '..', 'dist', 'native.js'))}).binding(); console.log('loaded'); }
    catch (err) { console.log(err.message); }`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(r.stdout).toMatch(/no native addon for plan9-mips/);
  expect(r.stdout).toMatch(/npm rebuild sqlite-s3vfs/);
  expect(r.stdout).toMatch(/cmake/);
});
