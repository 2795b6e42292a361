// Starts a throw-away S3 server on loopback (s3rver, in a child process) for the tests,
// the demo and the benchmark, or uses the endpoint given in the environment:
//   S3VFS_ENDPOINT, S3VFS_BUCKET, S3VFS_REGION,
//   S3VFS_ACCESS_KEY_ID, S3VFS_SECRET_ACCESS_KEY (optional: AWS chain otherwise)
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

function fromEnv() {
  const endpoint = process.env.S3VFS_ENDPOINT;
  const bucket = process.env.S3VFS_BUCKET;
  if (!endpoint && !bucket) return null;
  if (!bucket) throw new Error('S3VFS_ENDPOINT is set but S3VFS_BUCKET is not');
  const s3 = { region: process.env.S3VFS_REGION || 'us-east-1' };
  if (endpoint) {
    s3.endpoint = endpoint;
    s3.forcePathStyle = process.env.S3VFS_PATH_STYLE !== '0';
  }
  if (process.env.S3VFS_ACCESS_KEY_ID) {
    s3.credentials = {
      accessKeyId: process.env.S3VFS_ACCESS_KEY_ID,
      secretAccessKey: process.env.S3VFS_SECRET_ACCESS_KEY,
    };
  }
  return { bucket, s3, external: true, stop: async () => {} };
}

/** Resolves to { bucket, s3 (client config), external, stop() }. */
async function startLocalS3({ buckets = ['test'] } = {}) {
  const configured = fromEnv();
  if (configured) return configured;
  const child = spawn(process.execPath, ['--openssl-legacy-provider', path.join(__dirname, 's3rver-process.js'), buckets.join(',')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  // The port of the layer that honours conditional writes, and s3rver's own (which ignores them).
  const [port, rawPort] = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('s3rver did not start within 20 s')), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /READY (\d+) (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve([Number(m[1]), Number(m[2])]);
      }
    });
    child.on('exit', (code) => reject(new Error(`s3rver exited with code ${code}`)));
  });
  return {
    bucket: buckets[0],
    buckets,
    external: false,
    port,
    rawPort,
    s3: {
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

module.exports = { startLocalS3 };
