// Loads the addon and registers it as an extension of better-sqlite3's own SQLite
// (which exports no symbols of its own), once per thread.
import BetterSqlite3 = require('better-sqlite3');
import type { Binding } from '../binding';
import { assertSupported } from './better-sqlite3';

// Plain JavaScript, shared with npm's install step (install/install.js).
const { locateAddon, platformTag } = require('../install/locate-addon.js') as { locateAddon(): string | undefined; platformTag(): string };

let loaded: Binding | undefined;

export function binding(): Binding {
  if (loaded) return loaded;
  assertSupported();
  const addonPath = locateAddon();
  if (!addonPath) {
    throw new Error(`sqlite-s3vfs: no native addon for ${platformTag()}: this package ships no prebuilt binary for it and none was built ` +
      `(npm may have skipped its install script: allow it with allowScripts, or run 'npm rebuild sqlite-s3vfs'; building needs cmake, a C++17 compiler and make)`);
  }
  let b: Binding;
  try {
    b = require(addonPath) as Binding;
  } catch (err) {
    throw new Error(`sqlite-s3vfs: cannot load the native addon at ${addonPath}: ${(err as Error).message}`);
  }
  if (!b.extensionLoaded()) {
    // dlopen hands SQLite the handle require() already holds, so both share statics.
    const db = new BetterSqlite3(':memory:');
    try {
      (db.loadExtension as (file: string, entryPoint: string) => void)(addonPath, b.entryPoint);
    } finally {
      db.close();
    }
  }
  loaded = b;
  return b;
}
