// npm's prepare step in a checkout of this repository (users, who bring their own
// better-sqlite3, never run it): compiles the TypeScript, then makes sure the
// better-sqlite3 installed for development runs on this Node. The lockfile holds
// better-sqlite3 13, which needs Node 22; on Node 20 this installs 12 in its place (and
// Node 24.19 and later abort with 12: see lib/better-sqlite3.ts), then rebuilds the addon
// against that copy's SQLite headers.
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 2, 2] });
const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];

run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json']);

const { unsupportedReason, betterSqlite3Version } = require(path.join(root, 'dist', 'better-sqlite3.js'));
const why = unsupportedReason();
if (why) {
  const ranges = require(path.join(root, 'package.json')).peerDependencies['better-sqlite3'].split('||').map((r) => r.trim());
  const usable = ranges.find((r) => unsupportedReason(r.replace(/^[^\d]*/, '')) === null);
  if (!usable) throw new Error(`no better-sqlite3 in ${ranges.join(' || ')} runs on Node ${process.versions.node}`);
  console.error(`prepare: ${why}; installing better-sqlite3@${usable} for this checkout (not saved)`);
  run(npm[0], [...npm[1], 'install', '--no-save', '--no-audit', '--no-fund', `better-sqlite3@${usable}`]);
  run(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'compile', '--out', 'build']);
} else {
  console.error(`prepare: better-sqlite3 ${betterSqlite3Version} on Node ${process.versions.node}`);
}
