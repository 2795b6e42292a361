// The command line: parse, build the S3VFS, run one command, say how it went.
// Exit codes: 0 success, 1 the command failed (S3, SQLite), 2 the command line is wrong.
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { S3VFS } from '../s3vfs';
import { address, bytes, didYouMean, duration, OPTIONS, parse, UsageError } from './args';
import { COMMANDS } from './commands';
import type { Format } from './output';
import { Progress } from './progress';

function usage(): string {
  const commands = Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(24)} ${c.help}`);
  const options = Object.entries(OPTIONS).map(([name, o]) => `  ${`--${name}${o.value ? ` ${o.value}` : ''}`.padEnd(22)} ${o.help}`);
  return [
    'usage: sqlite-s3vfs [options] <command> [arguments]',
    '',
    'commands (a database is a prefix in the bucket, or s3://bucket/prefix):',
    ...commands,
    '  help [command]           this help, or a command\'s',
    '',
    'options:',
    ...options,
    '',
    'credentials: S3VFS_ACCESS_KEY_ID / S3VFS_SECRET_ACCESS_KEY, --profile, or the AWS chain.',
    'exit codes: 0 done, 1 the command failed, 2 the command line is wrong.',
  ].join('\n');
}

function version(): string {
  return (require('../../package.json') as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const out = (s: string) => void process.stdout.write(s);
  const note = (s: string) => void process.stderr.write(`${s}\n`);
  if (values.version) {
    out(`sqlite-s3vfs ${version()}\n`);
    return 0;
  }
  const [name, ...args] = positionals;
  if (values.help || !name || name === 'help') {
    const topic = name === 'help' ? args[0] : values.help ? name : undefined;
    const command = topic ? COMMANDS[topic] : undefined;
    if (topic && !command) throw new UsageError(unknownCommand(topic));
    out(command ? `usage: sqlite-s3vfs [options] ${command.usage}\n  ${command.help}\n` : `${usage()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(unknownCommand(name));
  const [least, most] = command.arity;
  if (args.length < least || args.length > most) throw new UsageError(`usage: sqlite-s3vfs ${command.usage}`);

  // Database arguments may name their bucket: s3://bucket/prefix.
  let bucket = (values.bucket as string | undefined) ?? process.env.S3VFS_BUCKET;
  const isDatabase = (i: number) => !((name === 'import' && i === 0) || (name === 'export' && i === 1));
  const resolved = args.map((a, i) => {
    if (!isDatabase(i)) return a;
    const at = address(a);
    if (at.bucket && values.bucket && at.bucket !== values.bucket) throw new UsageError(`${a} names bucket ${at.bucket}, but --bucket is ${values.bucket}`);
    if (at.bucket) bucket = at.bucket;
    return at.prefix;
  });
  if (!bucket) throw new UsageError('no bucket: pass --bucket, give s3://bucket/prefix, or set S3VFS_BUCKET');

  const s3: S3ClientConfig = { region: (values.region as string | undefined) ?? process.env.S3VFS_REGION ?? process.env.AWS_REGION ?? 'us-east-1' };
  const endpoint = (values.endpoint as string | undefined) ?? process.env.S3VFS_ENDPOINT;
  if (endpoint) {
    s3.endpoint = endpoint;
    s3.forcePathStyle = !values['virtual-host'];
  }
  if (values.profile) process.env.AWS_PROFILE = values.profile as string; // the worker's SDK reads it
  else if (process.env.S3VFS_ACCESS_KEY_ID) {
    s3.credentials = { accessKeyId: process.env.S3VFS_ACCESS_KEY_ID, secretAccessKey: process.env.S3VFS_SECRET_ACCESS_KEY ?? '' };
  }
  const formats = (['json', 'csv', 'tsv'] as const).filter((f) => values[f]);
  if (formats.length > 1) throw new UsageError(`choose one of --${formats.join(', --')}`);
  const format: Format = formats[0] ?? (process.stdout.isTTY ? 'table' : 'json');
  const layout = values.layout as string | undefined;
  if (layout !== undefined && layout !== 'versioned' && layout !== 'compat') throw new UsageError(`--layout is versioned or compat, not '${layout}'`);

  const showProgress = Boolean(values.progress) || process.stderr.isTTY === true;
  const started = Date.now();
  const vfs = new S3VFS({
    bucket,
    s3,
    blockSize: values['block-size'] === undefined ? undefined : bytes('block-size', values['block-size'] as string),
    cacheSize: values['cache-size'] === undefined ? undefined : bytes('cache-size', values['cache-size'] as string),
    diskCacheSize: values['disk-cache-size'] === undefined ? undefined : values['disk-cache-size'] === '0' ? 0 : bytes('disk-cache-size', values['disk-cache-size'] as string),
    cacheDir: (values['cache-dir'] as string | undefined) ?? (process.env.S3VFS_CACHE_DIR || undefined),
    layout: layout as 'versioned' | 'compat' | undefined,
  });
  try {
    await command.run({
      vfs,
      args: resolved,
      format,
      params: (values.param as string[] | undefined) ?? [],
      olderThanMs: values['older-than'] === undefined ? undefined : duration('older-than', values['older-than'] as string),
      out,
      note,
      async track(label, total, measure, work) {
        if (!showProgress) return work;
        const progress = new Progress(label, total, () => {
          const st = vfs.stats();
          const bytes = measure === 'up' ? st.bytesUp : measure === 'read' ? st.bytesDown + st.bytesFromDisk : measure();
          return { bytes, requests: st.get + st.put + st.list + st.delete + st.head };
        }, { write: (s) => void process.stderr.write(s), inPlace: process.stderr.isTTY === true });
        try {
          return await work;
        } finally {
          progress.stop();
        }
      },
    });
    const st = vfs.stats();
    if (values.stats) note(JSON.stringify(st));
    if (showProgress) {
      note(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${st.get} GET, ${st.put} PUT, ${st.list} LIST, ${st.delete} DELETE, ` +
        `${(st.bytesDown / 1e6).toFixed(1)} MB down, ${(st.bytesUp / 1e6).toFixed(1)} MB up`);
    }
  } finally {
    await vfs.close();
  }
  return 0;
}

function unknownCommand(name: string): string {
  const near = didYouMean(name, [...Object.keys(COMMANDS), 'help']);
  return `unknown command '${name}'${near ? ` (did you mean ${near}?)` : ''}; 'sqlite-s3vfs help' lists them`;
}
