// Loads the addon and registers it as an extension of better-sqlite3's own SQLite
// (which exports no symbols of its own), once per thread.
import path from 'node:path';
import BetterSqlite3 = require('better-sqlite3');
import type { Binding } from '../binding';
import { assertSupported } from './better-sqlite3';

export const addonPath = path.join(__dirname, '..', 'build', 'Release', 's3vfs.node');

let loaded: Binding | undefined;

export function binding(): Binding {
  if (loaded) return loaded;
  assertSupported();
  let b: Binding;
  try {
    b = require(addonPath) as Binding;
  } catch (err) {
    throw new Error(`sqlite-s3vfs: cannot load the native addon at ${addonPath} (did 'npm install' build it?): ${(err as Error).message}`);
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
