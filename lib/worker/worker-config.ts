import type { BridgeLayout } from '../../binding';
import type { StoreConnection } from '../store/s3-objects';

/** What the main thread hands the worker at start (structured-cloned). */
export interface WorkerConfig {
  sab: SharedArrayBuffer;
  statsSab: SharedArrayBuffer;
  layout: BridgeLayout;
  connection: StoreConnection;
  blockSize: number;
  cacheBytes: number;
  concurrency: number;
  maxStalenessMs: number;
  rangeReadSize: number;
  newLayout: 'versioned' | 'compat';
  leaseTtlMs: number;
  testHooks: boolean;
}
