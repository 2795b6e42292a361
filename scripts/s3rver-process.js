// Runs s3rver on 127.0.0.1 in its own process (started by local-s3.js), behind a layer
// that honours conditional writes (conditional-writes.js), which s3rver ignores.
// It must run under --openssl-legacy-provider: s3rver makes its ListObjectsV2
// continuation tokens with DES, and without the flag any paginated LIST fails with 500.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const S3rver = require('s3rver');
const { startConditionalWrites } = require('./conditional-writes');

const buckets = (process.argv[2] || 'test').split(',');
const directory = fs.mkdtempSync(path.join(process.env.S3VFS_S3RVER_DIR || os.tmpdir(), 's3rver-'));
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory,
  silent: true,
  resetOnClose: true,
  configureBuckets: buckets.map((name) => ({ name })),
});
server.run().then(
  async ({ port }) => {
    const layer = await startConditionalWrites(port);
    process.stdout.write(`READY ${layer.port} ${port}\n`);
  },
  (err) => {
    process.stderr.write(`s3rver failed to start: ${err.stack}\n`);
    process.exit(2);
  },
);
const stop = () => server.close().finally(() => {
  fs.rmSync(directory, { recursive: true, force: true });
  process.exit(0);
});
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// If whoever started us dies, do not linger.
process.stdin.on('end', stop);
process.stdin.resume();
