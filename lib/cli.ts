#!/usr/bin/env node
// sqlite-s3vfs command line: move databases in and out of a bucket and query them.
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { S3VFS } from './s3vfs';

const USAGE = `usage: sqlite-s3vfs [options] <command>

commands:
  import <file> <prefix>   upload a local SQLite file as the database <prefix>
  export <prefix> <file>   download the database <prefix> as a plain SQLite file ('-': stdout)
  query <prefix> <sql>     run SQL; rows are printed as JSON lines
  exec <prefix> <sql>      run SQL statements that return no rows
  gc <prefix>              delete block objects the database no longer lists (versioned layout)
  migrate <prefix>         convert a seed-layout database to the versioned layout, in place

options (and the environment variables they default to):
  --bucket NAME        S3VFS_BUCKET
  --endpoint URL       S3VFS_ENDPOINT (omit for AWS)
  --region NAME        S3VFS_REGION, AWS_REGION
  --block-size BYTES   block size of new databases (default 1 MiB; 4096 for the Python sqlite-s3vfs)
  --layout NAME        layout of new databases: versioned (default) or compat (the Python seed's)
  --older-than TIME    gc: keep blocks unreferenced for less than this (default 1h; 30s, 10m, 0...)
  --virtual-host       virtual-hosted-style addressing with --endpoint (default: path style)
  --stats              print the S3 requests made, on stderr
credentials come from S3VFS_ACCESS_KEY_ID / S3VFS_SECRET_ACCESS_KEY or the AWS chain.`;

function fail(message: string): never {
  process.stderr.write(`sqlite-s3vfs: ${message}\n`);
  process.exit(2);
}

/** Milliseconds in "90", "90s", "10m", "1h", "2d" (a bare number is seconds). */
function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) fail(`--older-than wants a duration such as 30s, 10m, 1h or 0, got '${text}'`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 's']!;
  return Number(m[1]) * unit;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      bucket: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      'block-size': { type: 'string' },
      layout: { type: 'string' },
      'older-than': { type: 'string' },
      'virtual-host': { type: 'boolean' },
      stats: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, a, b] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const bucket = values.bucket ?? process.env.S3VFS_BUCKET;
  if (!bucket) fail('no bucket: pass --bucket or set S3VFS_BUCKET');
  const s3: S3ClientConfig = { region: values.region ?? process.env.S3VFS_REGION ?? process.env.AWS_REGION ?? 'us-east-1' };
  const endpoint = values.endpoint ?? process.env.S3VFS_ENDPOINT;
  if (endpoint) {
    s3.endpoint = endpoint;
    s3.forcePathStyle = !values['virtual-host'];
  }
  if (process.env.S3VFS_ACCESS_KEY_ID) {
    s3.credentials = { accessKeyId: process.env.S3VFS_ACCESS_KEY_ID, secretAccessKey: process.env.S3VFS_SECRET_ACCESS_KEY ?? '' };
  }
  const blockSize = values['block-size'] === undefined ? undefined : Number(values['block-size']);
  const oneArgument = command === 'gc' || command === 'migrate';
  if (!a || (!b && !oneArgument)) fail(`${command} needs ${oneArgument ? 'a prefix' : 'two arguments'}\n${USAGE}`);
  const olderThan = values['older-than'] === undefined ? undefined : duration(values['older-than']);
  const layout = values.layout as 'versioned' | 'compat' | undefined;
  const vfs = new S3VFS({ bucket, s3, blockSize, layout });
  try {
    switch (command) {
      case 'import': {
        if (!fs.existsSync(a)) fail(`no such file: ${a}`);
        const report = await vfs.deserialize(b, fs.createReadStream(a));
        for (const note of report.notes) process.stderr.write(`note: ${note}\n`);
        break;
      }
      case 'export':
        await pipeline(vfs.serialize(a), b === '-' ? process.stdout : fs.createWriteStream(b));
        break;
      case 'query': {
        const db = vfs.open(a, { readonly: true });
        for (const row of db.prepare(b).iterate()) process.stdout.write(`${JSON.stringify(row)}\n`);
        db.close();
        break;
      }
      case 'exec': {
        const db = vfs.open(a);
        db.exec(b);
        db.close();
        break;
      }
      case 'gc':
        process.stdout.write(`${JSON.stringify(await vfs.gc(a, { olderThan }))}\n`);
        break;
      case 'migrate':
        process.stdout.write(`${JSON.stringify(await vfs.migrate(a))}\n`);
        break;
      default:
        fail(`unknown command '${command}'\n${USAGE}`);
    }
    if (values.stats) process.stderr.write(`${JSON.stringify(vfs.stats())}\n`);
  } finally {
    await vfs.close();
  }
}

main(process.argv.slice(2)).catch((err: Error) => fail(err.message));
