// Stops the servers the setup started, then says in one line what the run skipped and why,
// so that a quiet skip is never taken for a pass.
module.exports = async () => {
  await globalThis.__S3VFS_SERVER__?.stop();
  await globalThis.__S3VFS_RADOSGW__?.stop();
  const config = JSON.parse(process.env.S3VFS_TEST_CONFIG ?? '{}');
  const skipped = [];
  if (!config.conditional) {
    skipped.push(process.env.S3VFS_SKIP_CEPH === '1'
      ? 'the tests of racing processes and leases on radosgw (S3VFS_SKIP_CEPH=1)'
      : 'the tests of racing processes and leases on radosgw (Ceph is not installed: apt-get install radosgw ceph-mon ceph-osd ceph-common)');
  }
  if (!config.external) skipped.push("the wrong-secret test (s3rver does not check secrets; set S3VFS_ENDPOINT and S3VFS_BUCKET to a real server)");
  else skipped.push('the kill-point tests of conformance/crash and migrate (they put a proxy in front of the embedded s3rver)');
  if (skipped.length) process.stdout.write(`\nnpm test skipped: ${skipped.join('; ')}\n`);
};
