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

options (and the environment variables they default to):
  --bucket NAME        S3VFS_BUCKET
  --endpoint URL       S3VFS_ENDPOINT (omit for AWS)
  --region NAME        S3VFS_REGION, AWS_REGION
  --block-size BYTES   block size the database is stored with (default 4096)
  --virtual-host       virtual-hosted-style addressing with --endpoint (default: path style)
  --stats              print the S3 requests made, on stderr
credentials come from S3VFS_ACCESS_KEY_ID / S3VFS_SECRET_ACCESS_KEY or the AWS chain.`;

function fail(message: string): never {
  process.stderr.write(`sqlite-s3vfs: ${message}\n`);
  process.exit(2);
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
  if (!a || !b) fail(`${command} needs two arguments\n${USAGE}`);
  const vfs = new S3VFS({ bucket, s3, blockSize });
  try {
    switch (command) {
      case 'import':
        if (!fs.existsSync(a)) fail(`no such file: ${a}`);
        await vfs.deserialize(b, fs.createReadStream(a));
        break;
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
      default:
        fail(`unknown command '${command}'\n${USAGE}`);
    }
    if (values.stats) process.stderr.write(`${JSON.stringify(vfs.stats())}\n`);
  } finally {
    await vfs.close();
  }
}

main(process.argv.slice(2)).catch((err: Error) => fail(err.message));
