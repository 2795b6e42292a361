// `sqlite-s3vfs shell <db>`: an interactive prompt on a database in S3, in the manner of the
// sqlite3 shell. SQL runs when a line ends a complete statement; dot-commands run at once.
// On a terminal it keeps a history file; from a pipe it reads commands and prints results
// only, so it can be scripted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type BetterSqlite3 = require('better-sqlite3');
import { runStatements, statements, type CommandContext } from './commands';
import { RowPrinter, type Format } from './output';

const HISTORY = path.join(os.homedir(), '.sqlite_s3vfs_history');
const HISTORY_LINES = 1000;
const FORMATS: Format[] = ['table', 'json', 'csv', 'tsv'];

const HELP = `.tables             tables and views
.schema [pattern]    CREATE statements (of the tables whose name is LIKE pattern)
.mode table|json|csv|tsv   how rows print
.timer on|off        time each statement, with the S3 requests it made
.stats               S3 requests, bytes and cache use since the shell started
.help                this help
.quit, .exit         leave (so does end of input)
`;

/** Whether `sql` ends with a whole statement, so the shell should run it rather than read on. */
export function isComplete(db: BetterSqlite3.Database, sql: string): boolean {
  if (!/;\s*$/.test(sql)) return false;
  let last = '';
  for (const s of statements(db, sql)) last = s;
  try {
    db.prepare(last);
  } catch (err) {
    return !/incomplete input/.test((err as Error).message);
  }
  return true;
}

export async function shell(ctx: CommandContext): Promise<void> {
  const { vfs, out } = ctx;
  const db = vfs.open(ctx.args[0]);
  const interactive = process.stdin.isTTY === true;
  let format = ctx.format;
  let timer = false;
  const history = interactive && fs.existsSync(HISTORY) ? fs.readFileSync(HISTORY, 'utf8').split('\n').filter(Boolean).reverse() : [];
  const rl = readline.createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, terminal: interactive, history, historySize: HISTORY_LINES });
  const prompt = (continuing: boolean) => {
    if (!interactive) return;
    rl.setPrompt(continuing ? '   ...> ' : 'sqlite-s3vfs> ');
    rl.prompt();
  };
  const rows = (sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as Record<string, unknown>[];

  const dot = (line: string): boolean => {
    const [command, ...args] = line.trim().split(/\s+/);
    switch (command) {
      case '.quit':
      case '.exit':
        return false;
      case '.help':
        out(HELP);
        break;
      case '.tables':
        out(`${rows("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name").map((r) => r.name).join('  ')}\n`);
        break;
      case '.schema':
        for (const r of rows('SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND tbl_name LIKE ? ORDER BY tbl_name, type DESC, name', args[0] ?? '%')) out(`${r.sql};\n`);
        break;
      case '.mode':
        if (!FORMATS.includes(args[0] as Format)) throw new Error(`.mode takes ${FORMATS.join(', ')}`);
        format = args[0] as Format;
        break;
      case '.timer':
        if (args[0] !== 'on' && args[0] !== 'off') throw new Error('.timer takes on or off');
        timer = args[0] === 'on';
        break;
      case '.stats': {
        const printer = new RowPrinter(format, out);
        printer.row(vfs.stats() as unknown as Record<string, unknown>);
        printer.end();
        break;
      }
      default:
        throw new Error(`unknown command ${command}: .help lists them`);
    }
    return true;
  };

  const run = (sql: string) => {
    const before = vfs.stats();
    const started = process.hrtime.bigint();
    runStatements(db, sql, { ...ctx, format, params: [] });
    if (timer) {
      const after = vfs.stats();
      const requests = (['get', 'put', 'list', 'delete', 'head'] as const).reduce((n, k) => n + after[k] - before[k], 0);
      out(`Run Time: real ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(3)} s, ${requests} S3 requests, ${((after.bytesDown - before.bytesDown) / 1e6).toFixed(1)} MB down\n`);
    }
  };

  if (interactive) out(`sqlite-s3vfs shell on ${ctx.args[0]}: .help for commands, .quit to leave\n`);
  let pending = '';
  prompt(false);
  try {
    for await (const line of rl) {
      try {
        if (!pending && line.trim().startsWith('.')) {
          if (!dot(line)) break;
        } else {
          pending += `${line}\n`;
          if (isComplete(db, pending)) {
            const sql = pending;
            pending = '';
            run(sql);
          }
        }
      } catch (err) {
        pending = '';
        ctx.note(`Error: ${(err as Error).message}`);
        process.exitCode = 1;
      }
      prompt(pending !== '');
    }
    if (pending.trim()) ctx.note(`Error: incomplete SQL at end of input: ${pending.trim()}`);
  } finally {
    rl.close();
    db.close();
    if (interactive) fs.writeFileSync(HISTORY, `${[...(rl as unknown as { history: string[] }).history].reverse().slice(-HISTORY_LINES).join('\n')}\n`);
  }
}
