// The shared-memory layout of the synchronous bridge. This header is the only
// definition: the addon exports these numbers to JavaScript (binding.layout), so
// the main thread, the worker and C++ can never drift apart.
#pragma once
#include <cstdint>

namespace s3vfs {
namespace layout {

// Int32Array slot indices.
constexpr int STATE = 0;         // STATE_IDLE / STATE_REQUEST / STATE_REPLY
constexpr int SEQ = 1;           // request sequence number, written by the main thread
constexpr int REPLY_SEQ = 2;     // the worker echoes SEQ here, so a late reply is never mistaken
constexpr int OP = 3;            // Op below
constexpr int FILE_ID = 4;       // worker-side file handle
constexpr int ARG = 5;           // op-specific integer (open flags, lock level, access flags)
constexpr int LEN = 6;           // request payload bytes in the data area
constexpr int STATUS = 7;        // reply: SQLite result code
constexpr int REPLY_LEN = 8;     // reply payload bytes in the data area
constexpr int ERROR_LEN = 9;     // reply: >0 when the data area holds a UTF-8 error message
constexpr int HEARTBEAT = 10;    // bumped by a timer in the worker while it is alive
constexpr int WORKER_DEAD = 11;  // set by the worker as it dies
constexpr int RESULT = 12;       // reply: op-specific integer (file id, access answer)
constexpr int DEATH_NOTE_LEN = 13; // bytes of the worker's last words in the death-note area
constexpr int RESULT2 = 14;      // reply: a second integer (block size at open)
constexpr int RESULT3 = 15;      // reply: a third integer (OP_OPEN: 1 for a file kept in the
                                 // main thread's memory only, a versioned database's journal)
constexpr int INT32_SLOTS = 16;

// Float64Array slot indices (byte offset = index * 8), after the int32 slots.
constexpr int F64_OFFSET = 8;    // request: file offset or new size
constexpr int F64_RESULT = 9;    // reply: file size
constexpr int HEADER_BYTES = 80;
// Why the worker died, kept apart from the data area, which every request overwrites.
constexpr int DEATH_NOTE_BYTES = 4096;
constexpr int DATA_OFFSET = HEADER_BYTES + DEATH_NOTE_BYTES;  // the data area starts here

constexpr int STATE_IDLE = 0;
constexpr int STATE_REQUEST = 1;
constexpr int STATE_REPLY = 2;

enum Op : int32_t {
  OP_OPEN = 1,       // data: file name; ARG: open flags -> RESULT: file id, RESULT2: block size,
                     // F64_RESULT: size
  OP_CLOSE = 2,       // -> RESULT: 1 when the database's uncommitted writes were dropped
  OP_READ = 3,       // F64_OFFSET, LEN: amount -> data, REPLY_LEN (short read when < LEN)
  OP_WRITE = 4,      // F64_OFFSET, data
  OP_TRUNCATE = 5,   // F64_OFFSET: new size
  OP_SYNC = 6,
  OP_FILE_SIZE = 7,  // -> F64_RESULT
  OP_ACCESS = 8,     // data: file name; ARG: access flags -> RESULT: 0/1
  OP_DELETE = 9,     // data: file name
  OP_BEGIN_READ = 10,  // a SHARED lock from NONE: revalidate -> RESULT: 1 if changed, F64_RESULT: size
  OP_END_WRITE = 11,   // a connection left RESERVED or higher: a seed-layout family goes up; a
                       // versioned database drops writes never committed -> RESULT: 1 if so
  OP_READ_BLOCKS = 12, // F64_OFFSET: first block, ARG: blocks needed; data (optional): int64
                       // offset, int32 amount that a read wants -> data: RESULT whole blocks
                       // from there (more if the worker has them), F64_RESULT: size; or, when
                       // RESULT is READ_BLOCKS_PIECE, data: int64 start, then bytes of one block
                       // from there that cover what the read wants (a range GET)
  OP_WRITE_BLOCKS = 13,  // data: ARG records of (int64 block index, int32 offset in the
                         // block, int32 length, bytes), little-endian; F64_OFFSET: the
                         // file's new size. -> RESULT: how many of those blocks the worker
                         // lacks to apply a partial record to, data: their int64 indexes
                         // (the main thread sends them again whole)
  OP_BEGIN_WRITE = 14,   // RESERVED from SHARED: a versioned database takes its write lease
                         // (fails with SQLITE_BUSY while another writer holds it)
  OP_PRAGMA = 15,        // data: pragma name, NUL, its argument -> data: why the database's
                         // layout refuses that setting (empty: SQLite goes on)
  OP_PHASE_TWO = 16,     // SQLite finalised the journal: the seed layout's commit point; a
                         // versioned database uploads a truncation made after its commit, as
                         // best it can -> RESULT: 1 when it could not (and dropped it)
};

constexpr int READ_BLOCKS_PIECE = -1;
constexpr int WRITE_RECORD_HEADER = 16;  // OP_WRITE_BLOCKS: int64 index, int32 offset, int32 length

}  // namespace layout
}  // namespace s3vfs
