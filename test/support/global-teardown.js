module.exports = async () => {
  await globalThis.__S3VFS_SERVER__?.stop();
  await globalThis.__S3VFS_RADOSGW__?.stop();
};
