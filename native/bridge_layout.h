// The shared-memory layout of the synchronous bridge. This list is the only definition:
// C++ gets each entry as a constexpr below, and the addon exports every entry by name to
// JavaScript (binding.layout, typed by BridgeLayout in binding.d.ts; test/unit/codec.test.js
// checks that the two name the same entries), so the main thread, the worker and C++ can
// never drift apart.
#pragma once
#include <cstdint>

// X(NAME, value) for every entry.
#define S3VFS_BRIDGE_LAYOUT(X)                                                                   \
  /* Int32Array slot indices. */                                                                 \
  X(STATE, 0)          /* STATE_IDLE / STATE_REQUEST / STATE_REPLY */                            \
  X(SEQ, 1)            /* request sequence number, written by the main thread */                 \
  X(REPLY_SEQ, 2)      /* the worker echoes SEQ here, so a late reply is never mistaken */       \
  X(OP, 3)             /* an OP_ below */                                                        \
  X(FILE_ID, 4)        /* worker-side file handle */                                             \
  X(ARG, 5)            /* op-specific integer (open flags, lock level, access flags, amount) */  \
  X(LEN, 6)            /* request payload bytes in the data area */                              \
  X(STATUS, 7)         /* reply: SQLite result code */                                           \
  X(REPLY_LEN, 8)      /* reply payload bytes in the data area */                                \
  X(ERROR_LEN, 9)      /* reply: >0 when the data area holds a UTF-8 error message */            \
  X(HEARTBEAT, 10)     /* bumped by a timer in the worker while it is alive */                   \
  X(WORKER_DEAD, 11)   /* set by the worker as it dies */                                        \
  X(RESULT, 12)        /* reply: op-specific integer (file id, access answer) */                 \
  X(DEATH_NOTE_LEN, 13) /* bytes of the worker's last words in the death-note area */            \
  X(RESULT2, 14)       /* reply: a second integer (block size at open) */                        \
  X(RESULT3, 15)       /* reply: a third integer (OP_OPEN: 1 for a file kept in the main    */   \
                       /* thread's memory only, a versioned database's journal)             */   \
  X(NEWS, 16)          /* bumped by the worker when a read transaction would find what it   */  \
                       /* holds changed (a refresh in the background saw a commit): ends    */  \
                       /* every OP_BEGIN_READ freshness window                               */  \
  X(INT32_SLOTS, 17)                                                                             \
  /* Float64Array slot indices (byte offset = index * 8), after the int32 slots. */             \
  X(F64_OFFSET, 9)     /* request: file offset, first block or new size (see the op) */          \
  X(F64_RESULT, 10)    /* reply: file size */                                                    \
  X(HEADER_BYTES, 96)                                                                            \
  /* Why the worker died, kept apart from the data area, which every request overwrites. */     \
  X(DEATH_NOTE_BYTES, 4096)                                                                      \
  X(DATA_OFFSET, 96 + 4096) /* the data area starts here: HEADER_BYTES + DEATH_NOTE_BYTES */     \
  /* STATE values. */                                                                            \
  X(STATE_IDLE, 0)                                                                               \
  X(STATE_REQUEST, 1)                                                                            \
  X(STATE_REPLY, 2)                                                                              \
  /* Ops: what the request asks (-> what the reply holds). */                                    \
  X(OP_OPEN, 1)        /* data: file name; ARG: open flags -> RESULT: file id, RESULT2: block */ \
                       /* size, RESULT3: kept in memory, F64_RESULT: size */                     \
  X(OP_CLOSE, 2)       /* -> RESULT: 1 when the database's uncommitted writes were dropped */    \
  X(OP_READ, 3)        /* F64_OFFSET, ARG: amount -> data, REPLY_LEN (short read when < ARG) */  \
  X(OP_WRITE, 4)       /* F64_OFFSET, data */                                                    \
  X(OP_TRUNCATE, 5)    /* F64_OFFSET: new size */                                                \
  X(OP_SYNC, 6)        /* the versioned layout's commit point */                                 \
  X(OP_FILE_SIZE, 7)   /* -> F64_RESULT */                                                       \
  X(OP_ACCESS, 8)      /* data: file name; ARG: access flags -> RESULT: 0/1 */                   \
  X(OP_DELETE, 9)      /* data: file name */                                                     \
  X(OP_BEGIN_READ, 10) /* a SHARED lock from NONE: revalidate -> RESULT: 1 if changed, */        \
                       /* RESULT2: ms for which later read transactions may skip this op    */  \
                       /* (maxStalenessMs) while NEWS stays as it was, RESULT3: block size, */  \
                       /* F64_RESULT: size                                                   */  \
  X(OP_END_WRITE, 11)  /* a connection left RESERVED or higher: a seed-layout family goes up; */ \
                       /* a versioned database drops writes never committed -> RESULT: 1 if so */ \
  X(OP_READ_BLOCKS, 12) /* F64_OFFSET: first block, ARG: blocks needed; data (optional): a   */  \
                       /* READ_WANT record -> data: RESULT whole blocks from there (more if  */  \
                       /* the worker has them), F64_RESULT: size; or, when RESULT is         */  \
                       /* READ_BLOCKS_PIECE, data: int64 start, then bytes of one block from */  \
                       /* there that cover what the read wants (a range GET); or, when       */  \
                       /* RESULT is READ_BLOCKS_FILE, data: READ_FILE records                 */  \
  X(OP_WRITE_BLOCKS, 13) /* data: ARG WRITE_RECORDs; F64_OFFSET: the file's new size ->     */  \
                       /* RESULT: how many of those blocks the worker lacks to apply a       */  \
                       /* partial record to, data: their int64 indexes (the main thread      */  \
                       /* sends them again whole)                                            */  \
  X(OP_BEGIN_WRITE, 14) /* RESERVED from SHARED: a versioned database takes its write lease */   \
                       /* (fails with SQLITE_BUSY while another writer holds it)             */  \
  X(OP_PRAGMA, 15)     /* data: pragma name, NUL, its argument -> data: why the database's   */  \
                       /* layout refuses that setting (empty: SQLite goes on)                */  \
  X(OP_PHASE_TWO, 16)  /* SQLite finalised the journal: the seed layout's commit point; a    */  \
                       /* versioned database uploads a truncation made after its commit, as  */  \
                       /* best it can -> RESULT: 1 when it could not (and dropped it)        */  \
  X(OP_WRITE_PAGES, 17) /* data: ARG WRITE_RECORDs, changes to blocks the main thread does */  \
                       /* not hold (written while its cache was full), in the order made;    */  \
                       /* the worker applies each, reading the rest of its block if it must  */  \
  X(READ_BLOCKS_PIECE, -1) /* OP_READ_BLOCKS' RESULT when the reply is a piece of a block */      \
  X(READ_BLOCKS_FILE, -2) /* OP_READ_BLOCKS' RESULT when the reply names files on this       */ \
                          /* machine's disk that hold blocks (the one asked for first): the  */ \
                          /* main thread opens them and reads their pages itself             */ \
  /* READ_FILE records (a READ_BLOCKS_FILE reply), one after another, little-endian: a block */ \
  /* and the path of its entry in the disk cache (docs/FORMAT.md, "The disk cache"). The     */ \
  /* main thread checks the entry's trailer when it opens it and each chunk's CRC32 when it  */ \
  /* first reads it: the worker only says where to look.                                    */ \
  X(READ_FILE_INDEX, 0)     /* int64 block index */                                              \
  X(READ_FILE_LENGTH, 8)    /* int64 bytes of the block, from offset 0 of the file */            \
  X(READ_FILE_CRC, 16)      /* uint32 the CRC32 the layout records for the block's bytes */      \
  X(READ_FILE_FLAGS, 20)    /* int32 READ_FILE_ bits below */                                    \
  X(READ_FILE_PATH_LEN, 24) /* int32 bytes of the UTF-8 path that follows the header */          \
  X(READ_FILE_HEADER, 28)                                                                        \
  X(READ_FILE_CRC_KNOWN, 1) /* READ_FILE_CRC is set (a manifest without CRC32s has none) */      \
  /* A disk-cache entry's data is checked in chunks of this many bytes (its trailer holds a   */ \
  /* CRC32 for each): a read checks only the chunks it touches, once.                        */ \
  X(DISK_CHUNK_BYTES, 4096)                                                                      \
  /* A WRITE_RECORD (OP_WRITE_BLOCKS, OP_WRITE_PAGES), little-endian: where each field      */ \
  /* starts, and its size.                                                                   */ \
  X(WRITE_RECORD_INDEX, 0)  /* int64 block index */                                              \
  X(WRITE_RECORD_OFFSET, 8) /* int32 offset in the block */                                      \
  X(WRITE_RECORD_LENGTH, 12) /* int32 length of the bytes that follow the header */              \
  X(WRITE_RECORD_HEADER, 16)                                                                     \
  /* A READ_WANT record (OP_READ_BLOCKS' optional payload), little-endian. */                    \
  X(READ_WANT_OFFSET, 0)    /* int64 file offset the read starts at */                           \
  X(READ_WANT_AMOUNT, 8)    /* int32 bytes it wants */                                           \
  X(READ_WANT_FLAGS, 12)    /* int32 READ_WANT_ bits below */                                    \
  X(READ_WANT_BYTES, 16)                                                                         \
  X(READ_WANT_CACHE_FULL, 1) /* the main thread's cache is full: a piece of a block read out  */ \
                             /* of sequence serves better than the whole block               */ \
  X(READ_WANT_FILE_OK, 2)    /* the main thread would take a READ_BLOCKS_FILE answer (it has */ \
                             /* no write of its own in the block, could open its entry      */ \
                             /* before, and has a descriptor to spare)                      */

namespace s3vfs {
namespace layout {

#define S3VFS_LAYOUT_CONSTANT(name, value) constexpr int32_t name = value;
S3VFS_BRIDGE_LAYOUT(S3VFS_LAYOUT_CONSTANT)
#undef S3VFS_LAYOUT_CONSTANT

static_assert(DATA_OFFSET == HEADER_BYTES + DEATH_NOTE_BYTES, "the data area follows the death note");
static_assert(INT32_SLOTS * 4 <= F64_OFFSET * 8, "the float64 slots follow the int32 slots");
static_assert((F64_RESULT + 1) * 8 <= HEADER_BYTES, "the slots fit in the header");
static_assert(WRITE_RECORD_LENGTH + 4 == WRITE_RECORD_HEADER, "a write record's header ends after its length");
static_assert(READ_WANT_FLAGS + 4 == READ_WANT_BYTES, "a read-want record ends after its flags");
static_assert(READ_FILE_PATH_LEN + 4 == READ_FILE_HEADER, "a read-file record's header ends after its path length");

using Op = int32_t;

}  // namespace layout
}  // namespace s3vfs
