// Types of the native addon built from native/ (build/Release/s3vfs.node).

/** Slot indices, op codes, states and record layouts of the bridge's shared buffer: the
 *  entries of S3VFS_BRIDGE_LAYOUT in native/bridge_layout.h, which documents each one
 *  (test/unit/codec.test.js checks that this list and that one agree). */
export interface BridgeLayout {
  STATE: number; SEQ: number; REPLY_SEQ: number; OP: number; FILE_ID: number; ARG: number;
  LEN: number; STATUS: number; REPLY_LEN: number; ERROR_LEN: number; HEARTBEAT: number;
  WORKER_DEAD: number; RESULT: number; DEATH_NOTE_LEN: number; NEWS: number; RESULT2: number; RESULT3: number; INT32_SLOTS: number;
  F64_OFFSET: number; F64_RESULT: number; HEADER_BYTES: number; DEATH_NOTE_BYTES: number; DATA_OFFSET: number;
  STATE_IDLE: number; STATE_REQUEST: number; STATE_REPLY: number;
  OP_OPEN: number; OP_CLOSE: number; OP_READ: number; OP_WRITE: number; OP_TRUNCATE: number;
  OP_SYNC: number; OP_FILE_SIZE: number; OP_ACCESS: number; OP_DELETE: number;
  OP_BEGIN_READ: number; OP_END_WRITE: number; OP_READ_BLOCKS: number; OP_WRITE_BLOCKS: number;
  OP_BEGIN_WRITE: number; OP_PRAGMA: number; OP_PHASE_TWO: number; OP_WRITE_PAGES: number; READ_BLOCKS_PIECE: number;
  READ_BLOCKS_FILE: number; READ_FILE_INDEX: number; READ_FILE_LENGTH: number; READ_FILE_CRC: number; READ_FILE_FLAGS: number; READ_FILE_PATH_LEN: number; READ_FILE_HEADER: number;
  READ_FILE_CRC_KNOWN: number; DISK_CHUNK_BYTES: number;
  WRITE_RECORD_INDEX: number; WRITE_RECORD_OFFSET: number; WRITE_RECORD_LENGTH: number; WRITE_RECORD_HEADER: number;
  READ_WANT_OFFSET: number; READ_WANT_AMOUNT: number; READ_WANT_FLAGS: number; READ_WANT_BYTES: number;
  READ_WANT_CACHE_FULL: number; READ_WANT_FILE_OK: number;
}

export interface Binding {
  /** The SQLite extension entry point to pass to db.loadExtension(path, entryPoint). */
  readonly entryPoint: string;
  readonly layout: BridgeLayout;
  /** True once better-sqlite3's SQLite has run the entry point in this process. */
  extensionLoaded(): boolean;
  /** Registers a VFS whose file I/O calls waitForReply() after filling the shared buffer;
   *  waitForReply returns 0 when a valid reply is in the buffer, 1 when the bridge failed.
   *  cacheBytes bounds the blocks the VFS caches on this thread. Connections of every VFS of
   *  the process with the same lockSpace (the bucket) lock each other on a database. */
  createVfs(name: string, view: Int32Array, waitForReply: () => number, cacheBytes: number, lockSpace: string): void;
  /** Unregisters and frees the VFS; false (and nothing done) while files are open. */
  destroyVfs(name: string): boolean;
  /** Makes the VFS SQLite's default VFS until disarmDefault(). */
  armDefault(name: string): void;
  disarmDefault(): void;
  /** The CRC32 the main thread checks disk-cache chunks by; `table`: by the table every
   *  machine has, whatever faster way this one has (for tests). */
  crc32(bytes: Uint8Array, table?: boolean): number;
  /** [reads served by the main-thread block cache, reads that crossed for blocks, bytes cached,
   *  database pages SQLite wrote, payload bytes the bridge carried both ways, bytes held by
   *  memory journals, reads served from disk-cache entries, entries found damaged, entries
   *  opened]. */
  cacheStats(name: string): [number, number, number, number, number, number, number, number, number];
}
