// Everything this package relies on inside better-sqlite3, in one place: which versions
// run on which Node, where its native addon is, and how a connection is opened through
// a stand-in for that addon. better-sqlite3 12 and 13 differ in all three.
import path from 'node:path';

/** The parts of better-sqlite3's native addon used here (12 and 13). */
export interface BetterSqliteAddon {
  isInitialized?: boolean;
  /** better-sqlite3 12: the SqliteError constructor its errors are built with. */
  setErrorConstructor?(fn: unknown): void;
  /** better-sqlite3 13: that constructor, then four factories of its own JavaScript. */
  initialize?(sqliteError: unknown, ...factories: unknown[]): void;
  Database: new (...args: unknown[]) => object;
}

const packageDir = path.dirname(require.resolve('better-sqlite3/package.json'));

/** The installed better-sqlite3's version. */
export const betterSqlite3Version: string = (require(path.join(packageDir, 'package.json')) as { version: string }).version;

/**
 * Why the installed better-sqlite3 cannot run on this Node, or null if it can.
 * - 12 uses node::ObjectWrap, whose destructor Node 24.19 made abort the process when V8
 *   collects a Database or Statement outside a JavaScript context (a GC run from a
 *   background task, or at exit): "Assertion failed: (env) != nullptr" (nodejs/node#65446).
 * - 13 is built for Node 22 and later; on Node 20 it crashes.
 */
export function unsupportedReason(version = betterSqlite3Version, node = process.versions.node): string | null {
  const [major] = version.split('.').map(Number);
  const [nodeMajor, nodeMinor] = node.split('.').map(Number);
  if (major === 12) {
    if (nodeMajor > 24 || (nodeMajor === 24 && nodeMinor >= 19)) {
      return `better-sqlite3 ${version} aborts the process on Node ${node} when its objects are garbage-collected ` +
        '(nodejs/node#65446); install better-sqlite3 13 (npm install better-sqlite3@13)';
    }
    return null;
  }
  if (major === 13) {
    return nodeMajor < 22 ? `better-sqlite3 ${version} needs Node 22 or later (this is Node ${node}); install better-sqlite3 12 (npm install better-sqlite3@12)` : null;
  }
  return `sqlite-s3vfs works with better-sqlite3 12 and 13, not ${version}`;
}

/** Throws a clear error if the installed better-sqlite3 cannot run on this Node. */
export function assertSupported(): void {
  const why = unsupportedReason();
  if (why) throw new Error(`sqlite-s3vfs: ${why}`);
}

let realAddon: BetterSqliteAddon | null | undefined;

/** better-sqlite3's own native addon, the very object its Database class uses; null if not found. */
export function betterSqliteAddon(): BetterSqliteAddon | null {
  if (realAddon !== undefined) return realAddon;
  try {
    if (Number(betterSqlite3Version.split('.')[0]) >= 13) {
      // 13 finds a compiled addon or its bundled prebuilt one; its loader caches the choice.
      const loader = require(path.join(packageDir, 'lib', 'binding.js')) as { getBinding(nativeBinding: null): BetterSqliteAddon };
      realAddon = loader.getBinding(null);
    } else {
      realAddon = require(path.join(packageDir, 'build', 'Release', 'better_sqlite3.node')) as BetterSqliteAddon;
    }
  } catch {
    realAddon = null;
  }
  return realAddon;
}

/**
 * The object passed to better-sqlite3 as `nativeBinding`: its Database constructor takes
 * `prefix` off the file name, and its errors are built with `errorConstructor`. Either
 * version initialises it on first use with its own SqliteError, which this replaces.
 */
export function standInAddon(prefix: string, errorConstructor: (sqliteError: unknown) => unknown): object | null {
  const real = betterSqliteAddon();
  if (!real) return null;
  const stand = {
    isInitialized: false,
    setErrorConstructor(sqliteError: unknown) {
      real.setErrorConstructor!(errorConstructor(sqliteError));
    },
    initialize(sqliteError: unknown, ...factories: unknown[]) {
      real.initialize!(errorConstructor(sqliteError), ...factories);
    },
    Database: function S3Database(filename: string, given: string, ...rest: unknown[]) {
      return new real.Database(filename.slice(prefix.length), given.slice(prefix.length), ...rest);
    },
  };
  return stand;
}
