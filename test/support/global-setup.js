// Starts one s3rver for the whole run (or uses S3VFS_ENDPOINT/S3VFS_BUCKET)
// and hands its client configuration to the test files through the environment.
const { startLocalS3 } = require('../../scripts/local-s3');
const { startRadosgw } = require('../../scripts/local-radosgw');

module.exports = async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.S3VFS_TEST_HOOKS = '1';
  const server = await startLocalS3({ buckets: ['s3vfs-test', 's3vfs-test-2'] });
  globalThis.__S3VFS_SERVER__ = server;
  // Tests of conditional writes (leases, concurrent writers) need a server that honours
  // them: the real endpoint if one is given, else Ceph radosgw when it is installed.
  // S3VFS_REQUIRE_CONDITIONAL=1 (CI) makes its absence an error instead of a skip.
  let conditional = null;
  if (server.external) conditional = { bucket: server.bucket, s3: server.s3 };
  else if (process.env.S3VFS_SKIP_CEPH !== '1') {
    const rgw = await startRadosgw();
    globalThis.__S3VFS_RADOSGW__ = rgw;
    if (rgw) conditional = { bucket: rgw.bucket, s3: rgw.s3 };
    else if (process.env.S3VFS_REQUIRE_CONDITIONAL === '1') throw new Error('S3VFS_REQUIRE_CONDITIONAL=1 but Ceph radosgw is not installed');
  }
  process.env.S3VFS_TEST_CONFIG = JSON.stringify({ bucket: server.bucket, s3: server.s3, external: server.external, port: server.port, rawPort: server.rawPort, conditional });
};
