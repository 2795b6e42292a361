// vfs.serialize(): the database's blocks, fetched in parallel, as one byte stream.
import { Readable } from 'node:stream';
import { S3VFSError } from './errors';
import type { RpcClient } from './rpc';
import type { WorkerApi } from './worker/worker-api';

const BATCH_BYTES = 4 << 20;
const AHEAD = 2;

export function serializeFrom(rpc: RpcClient<WorkerApi>, bucket: string, prefix: string): Readable {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const { size, blockSize } = await rpc.call('stat', prefix);
    if (size === 0) throw new S3VFSError(`no database at s3://${bucket}/${prefix}/`, 'ENOENT');
    const total = Math.ceil(size / blockSize);
    const perBatch = Math.max(1, Math.floor(BATCH_BYTES / blockSize));
    const queue: Promise<Uint8Array>[] = [];
    let next = 0;
    const fill = () => {
      while (queue.length < AHEAD && next < total) {
        const count = Math.min(perBatch, total - next);
        queue.push(rpc.call('readBlocks', prefix, next, count, size, blockSize));
        next += count;
      }
    };
    fill();
    while (queue.length) {
      const bytes = await queue.shift()!;
      fill();
      if (bytes.length) yield bytes; // an empty chunk can read as end-of-file downstream
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
