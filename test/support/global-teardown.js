module.exports = async () => {
  await globalThis.__S3VFS_SERVER__?.stop();
};
