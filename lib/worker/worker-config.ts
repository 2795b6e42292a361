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
  /** Immutable blocks kept on disk: where, and up to how many bytes (0: none). */
  diskCache: { dir: string; maxBytes: number };
  testHooks: boolean;
}
