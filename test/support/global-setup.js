// Starts one s3rver for the whole run (or uses S3VFS_ENDPOINT/S3VFS_BUCKET)
// and hands its client configuration to the test files through the environment.
const { startLocalS3 } = require('../../scripts/local-s3');

module.exports = async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.S3VFS_TEST_HOOKS = '1';
  const server = await startLocalS3({ buckets: ['s3vfs-test', 's3vfs-test-2'] });
  globalThis.__S3VFS_SERVER__ = server;
  process.env.S3VFS_TEST_CONFIG = JSON.stringify({ bucket: server.bucket, s3: server.s3, external: server.external, port: server.port });
};
