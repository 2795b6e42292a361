// The command line's commands, each given an S3VFS and its arguments.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type BetterSqlite3 = require('better-sqlite3');
import type { S3VFS } from '../s3vfs';
import { UsageError } from './args';
import { RowPrinter, type Format } from './output';

export interface CommandContext {
  vfs: S3VFS;
  args: string[];
  format: Format;
  params: string[];
  olderThanMs?: number;
  out: (s: string) => void;
  note: (s: string) => void;
  /** Runs `work`, showing its progress (on a terminal): bytes against `total`, counted as
   *  S3 bytes up, bytes read (from S3 or this machine's disk cache), or by `bytes()`. */
  track<T>(label: string, total: number, measure: 'up' | 'read' | (() => number), work: Promise<T>): Promise<T>;
}

export interface Command {
  usage: string;
  help: string;
  /** How many arguments it takes: [least, most]. */
  arity: [number, number];
  run(ctx: CommandContext): Promise<void>;
}

/** Runs each statement of `sql` in turn, printing the rows of those that return rows. */
export function runStatements(db: BetterSqlite3.Database, sql: string, ctx: CommandContext): void {
  for (const statement of statements(db, sql)) {
    const stmt = db.prepare(statement).safeIntegers(true);
    const params = takesParams(stmt) ? ctx.params : [];
    if (stmt.reader) {
      const printer = new RowPrinter(ctx.format, ctx.out);
      for (const row of stmt.iterate(...params) as Iterable<Record<string, unknown>>) printer.row(row);
      printer.end();
    } else {
      stmt.run(...params);
    }
  }
}

function takesParams(stmt: BetterSqlite3.Statement): boolean {
  return /\?|[:@$][A-Za-z_]/.test(stmt.source);
}

/**
 * The statements of a text of SQL. SQLite itself says where one ends: text is cut at each
 * ';' outside quotes and comments, and joined until it prepares without "incomplete input"
 * (a CREATE TRIGGER's body holds ';' of its own).
 */
export function* statements(db: BetterSqlite3.Database, sql: string): Generator<string> {
  let pending = '';
  for (const piece of cutAtSemicolons(sql)) {
    pending += piece;
    if (!pending.trim() || pending.trim() === ';') {
      pending = '';
      continue;
    }
    try {
      db.prepare(pending);
    } catch (err) {
      if (/incomplete input/.test((err as Error).message)) continue;
      throw err;
    }
    yield pending;
    pending = '';
  }
  if (pending.trim()) yield pending;
}

function* cutAtSemicolons(sql: string): Generator<string> {
  let start = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      i = sql.indexOf(close, i + 1);
      if (i < 0) break;
    } else if (c === '-' && sql[i + 1] === '-') {
      i = sql.indexOf('\n', i);
      if (i < 0) break;
    } else if (c === '/' && sql[i + 1] === '*') {
      i = sql.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
    } else if (c === ';') {
      yield sql.slice(start, i + 1);
      start = i + 1;
    }
  }
  if (start < sql.length) yield sql.slice(start);
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export const COMMANDS: Record<string, Command> = {
  import: {
    usage: 'import <file> <db>',
    help: 'upload a local SQLite file as the database <db> (a WAL-mode file is converted, with a note)',
    arity: [2, 2],
    async run({ vfs, args: [file, db], note, track }) {
      if (!fs.existsSync(file)) throw new UsageError(`no such file: ${file}`);
      const report = await track('import', fs.statSync(file).size, 'up', vfs.deserialize(db, fs.createReadStream(file)));
      for (const n of report.notes) note(`note: ${n}`);
      note(`imported ${mb(report.bytes)} (${report.pages} pages) into ${db}`);
    },
  },
  export: {
    usage: 'export <db> <file>',
    help: "download the database as a plain SQLite file ('-': stdout); a failure leaves no file",
    arity: [2, 2],
    async run({ vfs, args: [db, file], note, track }) {
      const { size } = await vfs.info(db);
      // Bytes written out, wherever the blocks came from (S3 or the disk cache).
      let written = 0;
      const counted = () => async function* (chunks: AsyncIterable<Uint8Array>) {
        for await (const c of chunks) {
          written += c.length;
          yield c;
        }
      };
      if (file === '-') return track('export', size, () => written, pipeline(vfs.serialize(db), counted(), process.stdout));
      // Into a temporary name beside the target, renamed once whole.
      const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.partial`);
      try {
        await track('export', size, () => written, pipeline(vfs.serialize(db), counted(), fs.createWriteStream(tmp)));
        fs.renameSync(tmp, file);
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        throw err;
      }
      note(`exported ${db} to ${file} (${mb(fs.statSync(file).size)})`);
    },
  },
  query: {
    usage: 'query <db> <sql>',
    help: 'run read-only SQL and print its rows (a table on a terminal, else JSON lines; --csv, --tsv, --json)',
    arity: [2, 2],
    async run(ctx) {
      const db = ctx.vfs.open(ctx.args[0], { readonly: true, fileMustExist: true });
      try {
        runStatements(db, ctx.args[1], ctx);
      } finally {
        db.close();
      }
    },
  },
  exec: {
    usage: 'exec <db> <sql>',
    help: 'run SQL statements (several, separated by ;), printing the rows of those that return rows',
    arity: [2, 2],
    async run(ctx) {
      const db = ctx.vfs.open(ctx.args[0]);
      try {
        runStatements(db, ctx.args[1], ctx);
      } finally {
        db.close();
      }
    },
  },
  ls: {
    usage: 'ls [prefix]',
    help: 'the databases directly under a prefix (the top of the bucket by default), with layout and size',
    arity: [0, 1],
    async run({ vfs, args: [under], format, out }) {
      const printer = new RowPrinter(format, out);
      for (const d of await vfs.list(under ?? '')) printer.row({ name: d.name, layout: d.layout, size: d.size });
      printer.end();
    },
  },
  info: {
    usage: 'info <db>',
    help: 'layout, page and block size, size, commit, lease holder, garbage awaiting gc',
    arity: [1, 1],
    async run({ vfs, args: [db], format, out }) {
      const info = await vfs.info(db);
      if (format === 'json') return out(`${JSON.stringify(info)}\n`);
      for (const [k, v] of Object.entries(info)) out(`${k.padEnd(11)} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}\n`);
    },
  },
  shell: {
    usage: 'shell <db>',
    help: 'an interactive SQL prompt (.tables, .schema, .mode, .timer, .stats, .help); reads a script from a pipe',
    arity: [1, 1],
    async run(ctx) {
      // Loaded when used: the shell is the only command that needs readline.
      const { shell } = await import('./shell');
      await shell(ctx);
    },
  },
  prefetch: {
    usage: 'prefetch <db>',
    help: "download the database's blocks in parallel and report how many (up to --cache-size)",
    arity: [1, 1],
    async run({ vfs, args: [db], out, track }) {
      const { size } = await vfs.info(db);
      const blocks = await track('prefetch', size, 'read', vfs.prefetch(db));
      out(`${JSON.stringify({ blocks })}\n`);
    },
  },
  gc: {
    usage: 'gc <db>',
    help: 'delete block objects the database no longer lists (versioned layout; --older-than)',
    arity: [1, 1],
    async run({ vfs, args: [db], olderThanMs, out, track }) {
      out(`${JSON.stringify(await track('gc', 0, 'read', vfs.gc(db, { olderThan: olderThanMs })))}\n`);
    },
  },
  migrate: {
    usage: 'migrate <db>',
    help: 'convert a seed-layout database to the versioned layout, in place',
    arity: [1, 1],
    async run({ vfs, args: [db], out, track }) {
      const { size } = await vfs.info(db);
      out(`${JSON.stringify(await track('migrate', size, 'up', vfs.migrate(db)))}\n`);
    },
  },
};
