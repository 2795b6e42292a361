#!/usr/bin/env node
// sqlite-s3vfs command line (lib/cli/): move databases in and out of a bucket, look at them,
// query them.
import { UsageError } from './cli/args';
import { main } from './cli/main';

// A reader that stops early (| head) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code || process.exitCode || 0),
  (err: Error) => {
    process.stderr.write(`sqlite-s3vfs: ${err.message}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
