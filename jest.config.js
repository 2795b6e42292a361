// Two projects: the unit tests run on the in-memory object store with no server (seconds:
// npx jest --selectProjects unit); everything else runs against a real S3 server that the
// global setup starts (s3rver behind a conditional-writes layer, and Ceph radosgw when it
// is installed), or against S3VFS_ENDPOINT / S3VFS_BUCKET.
const shared = { testEnvironment: 'node' };

module.exports = {
  // A global option: a project's own testTimeout would be ignored.
  testTimeout: 180000,
  // Worker threads and child processes of the VFS under test must not keep jest alive.
  forceExit: false,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.js'] },
    {
      ...shared,
      displayName: 'server',
      testMatch: ['<rootDir>/test/**/*.test.js'],
      testPathIgnorePatterns: ['<rootDir>/test/unit/'],
      globalSetup: '<rootDir>/test/support/global-setup.js',
      globalTeardown: '<rootDir>/test/support/global-teardown.js',
    },
  ],
};
