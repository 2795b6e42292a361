// npm's install step. Where the package ships a prebuilt binary for this platform and it
// loads, there is nothing to do (no compiler needed); otherwise the addon is built from source
// with cmake-js. The package also works when npm skips this script (allowScripts): the loader
// finds the prebuilt binary by itself, and says how to build when there is none.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { platformTag, prebuilt } = require('./locate-addon');

const root = path.join(__dirname, '..');
const say = (s) => console.log(`sqlite-s3vfs: ${s}`);

function loads(file) {
  try {
    // In a child: a binary that does not load (an older glibc) must not take npm down with it.
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { stdio: 'pipe' });
    return true;
  } catch (err) {
    say(`the prebuilt binary ${file} does not load here: ${String(err.stderr || err.message).split('\n').find((l) => l.trim()) || ''}`);
    return false;
  }
}

function buildFromSource() {
  try {
    execFileSync(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'compile', '--out', 'build'], { cwd: root, stdio: 'inherit' });
  } catch {
    console.error([
      `sqlite-s3vfs: could not build the native addon from source for ${platformTag()}.`,
      'Building needs cmake (3.15 or later), a C++17 compiler and make; on Debian or Ubuntu:',
      '  apt-get install cmake g++ make',
      'then run: npm rebuild sqlite-s3vfs',
    ].join('\n'));
    process.exit(1);
  }
}

const file = prebuilt();
if (process.env.S3VFS_BUILD_FROM_SOURCE !== '1' && fs.existsSync(file) && loads(file)) {
  say(`using the prebuilt binary for ${platformTag()}`);
} else {
  if (!fs.existsSync(file)) say(`no prebuilt binary for ${platformTag()}: building from source`);
  buildFromSource();
}
