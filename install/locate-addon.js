// Where the native addon is. A build from source (build/Release) wins, since it was made on
// this machine for this machine; otherwise the prebuilt binary shipped in the package for this
// platform, if there is one. Plain JavaScript because npm runs install.js before any
// TypeScript is compiled in a checkout.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const ADDON = 's3vfs.node';

/** "linux-x64", "linux-x64-musl", "darwin-arm64", ...: the folder under prebuilds/. */
function platformTag() {
  let tag = `${process.platform}-${process.arch}`;
  // A glibc binary does not load on musl (Alpine), so musl has a tag of its own.
  if (process.platform === 'linux' && !glibcVersion()) tag += '-musl';
  return tag;
}

function glibcVersion() {
  try {
    const report = /** @type {{ header?: { glibcVersionRuntime?: string } }} */ (process.report.getReport());
    return report.header?.glibcVersionRuntime;
  } catch {
    return undefined;
  }
}

const sourceBuild = path.join(root, 'build', 'Release', ADDON);
const prebuilt = (tag = platformTag()) => path.join(root, 'prebuilds', tag, ADDON);

/** The addon to load, or undefined when there is neither a build nor a prebuilt binary. */
function locateAddon() {
  return [sourceBuild, prebuilt()].find((file) => fs.existsSync(file));
}

module.exports = { locateAddon, platformTag, prebuilt, sourceBuild, ADDON };
