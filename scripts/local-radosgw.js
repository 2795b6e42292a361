// Starts Ceph radosgw on loopback (scripts/ceph/start.sh) for the tests that need
// conditional writes, which s3rver ignores. Resolves to null when Ceph is not installed.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function installed() {
  return spawnSync('sh', ['-c', 'command -v radosgw && command -v ceph-mon && command -v ceph-osd'], { stdio: 'ignore' }).status === 0;
}

/** Resolves to { bucket, s3, stop() }, or null without Ceph. */
async function startRadosgw({ bucket = 's3vfs-test', port = 7480 } = {}) {
  if (!installed()) return null;
  // A directory of its own: a second cluster started by mistake (the ports are fixed)
  // fails to bind instead of deleting this one's files.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3vfs-ceph-'));
  const env = { ...process.env, RGW_PORT: String(port), CEPH_DIR: dir };
  const log = [];
  const ready = await new Promise((resolve) => {
    const child = spawn('bash', [path.join(__dirname, 'ceph', 'start.sh')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => log.push(String(d)));
    child.stderr.on('data', (d) => log.push(String(d)));
    child.on('exit', (code) => resolve(code === 0 && /READY/.test(log.join(''))));
  });
  if (!ready) {
    spawnSync('bash', [path.join(__dirname, 'ceph', 'stop.sh')], { env, stdio: 'ignore' });
    throw new Error(`radosgw did not start:\n${log.join('').slice(-3000)}`);
  }
  const s3 = {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const { S3Client, CreateBucketCommand } = require('@aws-sdk/client-s3');
  const client = new S3Client({ ...s3, requestChecksumCalculation: 'WHEN_REQUIRED' });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return {
    bucket,
    s3,
    stop: async () => {
      spawnSync('bash', [path.join(__dirname, 'ceph', 'stop.sh')], { env, stdio: 'ignore' });
    },
  };
}

module.exports = { startRadosgw };
