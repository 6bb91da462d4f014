/* msg.h - the messages between ranks and their encoding. Pure: no MPI, no
 * threads.
 *
 * Every message on the pool's communicator with tag TF__TAG_MSG is a type
 * byte followed by records. Payloads at or above TF__BULK_MIN bytes travel
 * as their own message with tag TF__TAG_BULK, sent straight from the
 * caller's memory right after the message that announces them; bulk messages
 * from one sender arrive in order, so the k-th announced payload is the k-th
 * bulk message.
 *
 *   TASKS   (coordinator -> rank): DEF, CHUNK, SHARE and STOP records
 *   RESULTS (rank -> coordinator): a header (spawn counts, queue length,
 *           flags), then RESULT records and CHUNK records (spawned tasks
 *           shipped back for other ranks)
 *   STEAL   (thief -> victim, peer stealing): nothing else
 *   LOOT    (victim -> thief): a flag byte (TF__LOOT_*), then CHUNK records
 *           of spawned tasks; none: the victim had nothing to give
 *   LIFELINE (thief -> buddy): push me work when you have some
 * and with tag TF__TAG_CTL, which no message count includes (wave.h):
 *   WAVE (parent -> child): u64 wave number
 *   ECHO (child -> parent): u64 wave number, then the subtree's sums
 *        (sent, recv, acts, passive, ranks: u64 each)
 *   END  (parent -> child): i32 the run's return value; the run is over
 *        once the subtree has answered
 *   DONE (child -> parent): this subtree has left the run (so rank 0 starts
 *        no next run while a rank is still in this one)
 *   BEGIN (parent -> child): a run began; peers may be asked for work (so
 *        no rank steals from one still in the previous run)
 *
 * Ordering carries the termination proof: a rank reports how many tasks it
 * spawned in the same FIFO stream as, and before, the completion or shipping
 * of those tasks, so the coordinator's count of unfinished tasks never
 * reaches zero early. */
#ifndef TF_MSG_H
#define TF_MSG_H

#include <stdint.h>

#include "core/buf.h"
#include "core/queue.h"

#define TF__TAG_MSG 1
#define TF__TAG_BULK 2
#define TF__TAG_CTL 3
#define TF__BULK_MIN ((size_t)256 * 1024)
/* A CHUNK record's layout byte: this bit marks a file item (queue.h) */
#define TF__LAYOUT_FILE 0x80

enum {
    TF__MSG_TASKS = 1,
    TF__MSG_RESULTS = 2,
    TF__MSG_STEAL = 3,
    TF__MSG_LOOT = 4,
    TF__MSG_LIFELINE = 5,
    TF__MSG_WAVE = 6,
    TF__MSG_ECHO = 7,
    TF__MSG_END = 8,
    TF__MSG_DONE = 9,
    TF__MSG_BEGIN = 10
};
/* LOOT flags: an answer to STEAL, or work pushed along a lifeline */
enum { TF__LOOT_REPLY = 1, TF__LOOT_PUSH = 2 };
enum { TF__R_DEF = 1, TF__R_CHUNK = 2, TF__R_SHARE = 3, TF__R_STOP = 4, TF__R_RESULT = 5 };

/* A spawned task's id: bit 63 set, which no job task has (job task ids
 * count up from 0); the spawning rank in bits 40-62; the rank's spawn
 * sequence number in bits 0-39 (a trillion spawns a rank, then it wraps).
 * So ids are unique across ranks without asking anyone. */
#define TF__SPAWNED_BIT (1ull << 63)
#define TF__SPAWN_SEQ_BITS 40
static inline uint64_t tf__spawned_id(int rank, uint64_t seq)
{
    return TF__SPAWNED_BIT | ((uint64_t)rank << TF__SPAWN_SEQ_BITS) |
           (seq & ((1ull << TF__SPAWN_SEQ_BITS) - 1));
}

/* RESULTS header flags */
enum { TF__F_IDLE = 1, TF__F_SHARE_REPLY = 2, TF__F_STOPPED = 4 };

typedef struct tf__rhdr {
    uint64_t spawned;  /* tasks spawned since the last message */
    uint64_t spawn_ok; /* spawned tasks finished without a record */
    uint64_t qlen;     /* spawned tasks queued at the sender */
    uint32_t flags;
} tf__rhdr;

#define TF__RHDR_LEN (1 + 8 + 8 + 8 + 4)

/* Writes the RESULTS header at the start of b (which has TF__RHDR_LEN bytes
 * reserved there). */
void tf__msg_put_rhdr(char *dst, const tf__rhdr *h);
/* Reads a RESULTS header (the type byte included). */
void tf__msg_get_rhdr(tf__rd *r, tf__rhdr *h);

int tf__msg_put_def(tf__buf *b, uint32_t gid, const char *name);
/* Appends a CHUNK record for `it` (any layout; VECTOR is sent as PACKED).
 * If the inputs total TF__BULK_MIN or more and the layout is contiguous
 * (FIXED) and allow_bulk is set, the bytes are not copied: *bulk_ptr and *bulk_len say what to send
 * as the bulk message; otherwise *bulk_len = 0. 0 or -1 on OOM/too big. */
int tf__msg_put_chunk(tf__buf *b, const tf__item *it, int allow_bulk, const char **bulk_ptr,
                      size_t *bulk_len);

/* A CHUNK record of job 0 (a spawned task) carries the function's name
 * (it->fname) instead of relying on the gid. */

/* Reads a CHUNK record (after its kind byte) into *it, pointing into the
 * message (for job 0, it->fname too); if the record announces a bulk payload, *bulk_len is its size
 * and it->data must be set by the caller to where it was received. */
int tf__msg_get_chunk(tf__rd *r, tf__item *it, size_t *bulk_len);

/* A RESULT record: the header; count u32 output lengths; the outputs one
 * after the other; then nfail (u32 task, i32 status) pairs. A failed task's
 * output is its error message, NUL included. Lengths first, so that the
 * coordinator finds every output with one add per task. */
typedef struct tf__result_hdr {
    uint64_t job, first_index, first_id;
    uint32_t count, nfail;
    uint64_t elapsed_ns;
} tf__result_hdr;

#define TF__RESULT_HDR_LEN (1 + 8 + 8 + 8 + 4 + 4 + 8)
#define TF__FAIL_LEN (4 + 4)
/* The largest output of one task (lengths are u32). */
#define TF__MAX_OUTPUT ((size_t)UINT32_MAX)

/* Writes a RESULT header at dst (TF__RESULT_HDR_LEN bytes). */
void tf__msg_put_result_hdr(char *dst, const tf__result_hdr *h);
/* Reads a RESULT header after its kind byte. */
void tf__msg_get_result_hdr(tf__rd *r, tf__result_hdr *h);

#endif
