// Entry point of the worker thread that owns all S3 I/O.
import { parentPort, workerData } from 'node:worker_threads';
import { LIMITS } from '../options';
import { serveRpc } from '../rpc';
import { Counters } from '../stats';
import { BlockCache } from '../store/block-cache';
import { ConditionalWritesProbe } from '../store/conditional-probe';
import { FileTable } from '../store/file-table';
import { DiskCache } from '../store/disk-cache';
import { describeEndpoint, S3Objects } from '../store/s3-objects';
import { bridgeOps } from './bridge-ops';
import { rpcHandlers } from './rpc-handlers';
import { BridgeServer } from './bridge-server';
import type { WorkerConfig } from './worker-config';

const config = workerData as WorkerConfig;
const L = config.layout;
const counters = new Counters(config.statsSab);
const s3 = new S3Objects(config.connection, counters);
const diskCache = config.diskCache.maxBytes > 0
  ? new DiskCache(config.diskCache.dir, config.diskCache.maxBytes, `${describeEndpoint(config.connection.s3)}|${config.connection.bucket}`, counters)
  : undefined;
const i32 = new Int32Array(config.sab);
const files = new FileTable(
  {
    s3,
    blockSize: config.blockSize,
    cache: new BlockCache(config.cacheBytes, counters),
    concurrency: config.concurrency,
    maxDirtyBytes: Math.max(config.cacheBytes / 2, 4 * config.blockSize),
    maxStalenessMs: config.maxStalenessMs,
    rangeReadSize: config.rangeReadSize,
    layout: config.newLayout,
    leaseTtlMs: config.leaseTtlMs,
    disk: diskCache,
    spillDir: config.diskCache.dir,
    conditional: new ConditionalWritesProbe(s3, config.connection.bucket),
    news: () => Atomics.add(i32, L.NEWS, 1),
  },
  config.connection.bucket,
);
const ops = bridgeOps(L, files, () => server.capacity);
const server: BridgeServer = new BridgeServer(config.sab, L, ops.serve, ops.failureStatus);

// Atomics.waitAsync does not keep a worker alive; this timer does, and its ticks
// show the main thread that the worker still runs.
const heartbeat = setInterval(() => Atomics.add(i32, L.HEARTBEAT, 1), LIMITS.heartbeatMs);

function die(err: unknown): void {
  server.markDead(err);
  process.exit(1);
}
process.on('uncaughtException', die);
process.on('unhandledRejection', die);
process.on('exit', () => server.markDead(new Error('the S3 worker thread exited')));

async function shutdown(): Promise<void> {
  // After any bridge request under way (another thread's connection may still be at work).
  await files.exclusive(() => files.flushAll());
  await diskCache?.flush();
  server.stop();
  clearInterval(heartbeat);
  s3.destroy();
}

serveRpc(parentPort!, rpcHandlers(files, s3, shutdown, config.testHooks));
server.run().catch(die);
