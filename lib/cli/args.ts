// The command line's options: one table that parses, checks and documents them.
import { parseArgs } from 'node:util';
import { describeDefault, OPTION_DEFAULTS as D } from '../options';

export class UsageError extends Error {}

interface OptionSpec {
  type: 'string' | 'boolean';
  value?: string;
  help: string;
  short?: string;
  multiple?: boolean;
}

export const OPTIONS: Record<string, OptionSpec> = {
  bucket: { type: 'string', value: 'NAME', help: 'the bucket (default S3VFS_BUCKET; or give s3://bucket/prefix)' },
  endpoint: { type: 'string', value: 'URL', help: 'S3 endpoint (default S3VFS_ENDPOINT; omit for AWS)' },
  region: { type: 'string', value: 'NAME', help: 'region (default S3VFS_REGION, AWS_REGION, us-east-1)' },
  profile: { type: 'string', value: 'NAME', help: 'AWS profile for credentials (as AWS_PROFILE)' },
  'virtual-host': { type: 'boolean', help: 'virtual-hosted-style addressing with --endpoint (default: path style)' },
  'block-size': { type: 'string', value: 'BYTES', help: `block size of new databases (default ${describeDefault(D.blockSize)}; 4096 for the Python sqlite-s3vfs)` },
  'cache-size': { type: 'string', value: 'BYTES', help: `bytes of blocks to cache (default ${describeDefault(D.cacheSize)}; k, M, G suffixes)` },
  'disk-cache-size': { type: 'string', value: 'BYTES', help: `bytes of blocks kept on this machine's disk (default ${describeDefault(D.diskCacheSize)}; 0: none)` },
  'cache-dir': { type: 'string', value: 'DIR', help: 'where the disk cache lives (default S3VFS_CACHE_DIR, or in the OS temporary directory)' },
  layout: { type: 'string', value: 'NAME', help: `layout of new databases: versioned or compat (default ${D.layout})` },
  'older-than': { type: 'string', value: 'TIME', help: 'gc: keep blocks unreferenced for less than this (default 1h; 30s, 10m, 0)' },
  param: { type: 'string', value: 'VALUE', help: 'query, exec: a bound parameter (?), in order; repeat for more', multiple: true },
  json: { type: 'boolean', help: 'rows as JSON lines (the default when stdout is not a terminal)' },
  csv: { type: 'boolean', help: 'rows as CSV, with a header line' },
  tsv: { type: 'boolean', help: 'rows as tab-separated values, with a header line' },
  stats: { type: 'boolean', help: 'print the S3 requests made, on stderr' },
  progress: { type: 'boolean', help: 'progress and a closing summary on stderr even when it is not a terminal' },
  version: { type: 'boolean', help: 'print the version', short: 'v' },
  help: { type: 'boolean', help: 'print this help, or a command\'s', short: 'h' },
};

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** The nearest of `choices` to `word`, if it is near enough to be a likely typo. */
export function didYouMean(word: string, choices: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of choices) {
    const d = distance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length];
}

export function parse(argv: string[]): Parsed {
  // "--block-size -1": a value that starts with '-' is still the option's value.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : null;
    if (name && OPTIONS[name]?.type === 'string' && i + 1 < argv.length && /^-\d/.test(argv[i + 1])) {
      args.push(`--${name}=${argv[++i]}`);
    } else {
      args.push(argv[i]);
    }
  }
  for (const a of args) {
    const m = /^--([^=]+)/.exec(a);
    if (m && !OPTIONS[m[1]]) {
      const near = didYouMean(m[1], Object.keys(OPTIONS));
      throw new UsageError(`unknown option --${m[1]}${near ? ` (did you mean --${near}?)` : ''}`);
    }
  }
  try {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: OPTIONS as never });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    const message = (err as Error).message;
    const ambiguous = /^Option '([^']*)' argument is ambiguous/.exec(message);
    if (ambiguous) throw new UsageError(`option ${ambiguous[1]} needs a value, but the next argument is an option (write ${ambiguous[1]}=VALUE for a value that starts with '-')`);
    throw new UsageError(message.replace(/^Option '([^']*)' argument missing/, 'option $1 needs a value'));
  }
}

/** Bytes in "4096", "64k", "64M", "1G" (binary multiples). */
export function bytes(option: string, text: string): number {
  const m = /^(\d+)([kKmMgG]i?[bB]?)?$/.exec(text.trim());
  const n = m ? Number(m[1]) * (m[2] ? 1024 ** ('kmg'.indexOf(m[2][0].toLowerCase()) + 1) : 1) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${option} must be a positive whole number of bytes (k, M, G allowed), got '${text}'`);
  return n;
}

/** Milliseconds in "90", "90s", "10m", "1h", "2d" (a bare number is seconds). */
export function duration(option: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--${option} wants a duration such as 30s, 10m, 1h or 0, got '${text}'`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 's']!;
}

/** A database argument: a prefix, or s3://bucket/prefix. */
export function address(text: string): { bucket?: string; prefix: string } {
  if (!text.startsWith('s3://')) return { prefix: text };
  const rest = text.slice(5);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) throw new UsageError(`'${text}' is not s3://bucket/prefix`);
  return { bucket: rest.slice(0, slash), prefix: rest.slice(slash + 1) };
}
