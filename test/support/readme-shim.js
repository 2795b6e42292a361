// What require('sqlite-s3vfs') is for the README's examples in test/readme.test.js: the
// package, with every S3VFS pointed at the test server and bucket, whatever it is told.
const real = require('../..');

const { bucket, s3 } = JSON.parse(process.env.S3VFS_TEST_CONFIG);

class S3VFS extends real.S3VFS {
  constructor(options) {
    super({ ...options, bucket, s3 });
  }
}

module.exports = { ...real, S3VFS };
