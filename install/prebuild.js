// npm's prepack step: puts this machine's build of the addon in prebuilds/<platform>/, so the
// packed tarball installs without a compiler on this platform. postpack removes it again, so a
// checkout never loads a stale copy. Other platforms are built the same way, each on its own
// machine (see README, "Prebuilt binaries").
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { platformTag, prebuilt, sourceBuild } = require('./locate-addon');

const root = path.join(__dirname, '..');
if (process.argv[2] === '--clean') {
  fs.rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
} else {
  // Always a fresh build: the build directory may hold an addon from before a source change.
  execFileSync(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'compile', '--out', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: ['ignore', 2, 2] });
  const target = prebuilt();
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(sourceBuild, target);
  console.error(`prebuild: ${path.relative(root, target)} (${platformTag()})`);
}
