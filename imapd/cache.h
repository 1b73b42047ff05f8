/* cache.h: the per-folder cache FOLDER/yubin-imap.cache, what FETCH, SEARCH,
 * SORT and THREAD need of a message without opening it: RFC822.SIZE,
 * INTERNALDATE, the raw values of the ENVELOPE fields (and References), and
 * the BODYSTRUCTURE and BODY answers as sent.
 *
 * The file is a header and records appended as messages are first read;
 * each record names its message by UID, file name up to ":" and inode (a
 * message replaced under the same name has another inode and is not served
 * from its old entry).  The account owns the file, so it is read as hostile
 * input: magic, version, UIDVALIDITY, per-record lengths within fixed limits
 * and a checksum per record; anything else is ignored and the file is
 * rebuilt.  Losing it costs only time.  Records of removed messages are
 * dropped when the file is rewritten (when most records are stale).
 *
 * Layout (integers little-endian):
 *   header  "yubin-imap-cache" u32 version u32 uidvalidity u64 sum
 *   record  u32 length (all of it) u32 uid u64 inode u64 size i64 mtime
 *           u16 keylen key; CACHE_FIELDS times u16 len (0xffff absent)
 *           value; u32 len bodystructure; u32 len body; u64 sum
 * where sum is cache_sum() of the bytes before it. */
#ifndef YUBIN_CACHE_H
#define YUBIN_CACHE_H
#include <stddef.h>
#include <stdint.h>

#include "mailbox.h"
#include "sa.h"

#define CACHE_FILE "yubin-imap.cache"
#define CACHE_VERSION 1
#define CACHE_HEADER_LEN 32
#define CACHE_FIELDS 11
#define CACHE_FIELD_MAX 4096       /* a longer field: the message is not cached */
#define CACHE_KEY_MAX 255
#define CACHE_STRUCT_MAX 65536     /* BODYSTRUCTURE or BODY answer */
#define CACHE_RECORD_MAX (32 + 2 + CACHE_KEY_MAX + CACHE_FIELDS * (2 + CACHE_FIELD_MAX) + \
                          2 * (4 + CACHE_STRUCT_MAX) + 8)
#define CACHE_FILE_MAX ((uint64_t)1 << 30)   /* larger: not appended to; rebuilt */
#define CACHE_OK_SUM 1     /* mbox_msg.cache_ok: the record's checksum was checked */
#define CACHE_OK_LISTS 2   /* and its BODYSTRUCTURE and BODY are well-formed */

/* Date Subject From Sender Reply-To To Cc Bcc In-Reply-To Message-ID References */
extern const char *const cache_field_names[CACHE_FIELDS];

typedef struct cache_entry {
  uint32_t uid;
  uint64_t ino;
  uint64_t size;                    /* RFC822.SIZE (CRLF) */
  int64_t mtime;                    /* INTERNALDATE */
  const char *key;                  /* the file name up to ":" */
  size_t keylen;
  const char *field[CACHE_FIELDS];  /* trimmed raw values, folds kept; NULL absent */
  size_t flen[CACHE_FIELDS];
  const char *bs;                   /* "(...)" as FETCH BODYSTRUCTURE sends it */
  size_t bslen;
  const char *body;                 /* and FETCH BODY */
  size_t bodylen;
} cache_entry;

/* ---- the format (pure) ---- */
uint64_t cache_sum(const char *p, size_t n);
void cache_header(char out[CACHE_HEADER_LEN], uint32_t uidvalidity);
/* 1 if buf holds a valid header for uidvalidity. */
int cache_header_ok(const char *buf, size_t n, uint32_t uidvalidity);
/* Appends e as one record.  1, or 0 with errno (ERANGE: over a limit). */
int cache_encode(const cache_entry *e, sa *out);
/* The record at buf[0..n): its length with *e pointing into buf; 0 when
 * the record goes on past n (up to CACHE_RECORD_MAX); -1 not a record. */
long cache_decode(const char *buf, size_t n, cache_entry *e);
/* 1 if s[0..n) is one IMAP parenthesised list (what BODYSTRUCTURE sends). */
int cache_struct_ok(const char *s, size_t n);
/* The part of a file name that names the message: up to ":". */
size_t cache_key_len(const char *name);

/* ---- the selected folder's cache (mb->cache) ---- */
/* Reads the records appended since the last call and sets the cache_off of
 * the messages they match; rewrites the file when it is foreign, corrupt
 * or mostly stale.  Errors leave the folder without a cache (only slower). */
void cache_index(mbox *mb);
/* Message i's entry, valid until the next cache call.  1 found, 0 not. */
int cache_get(mbox *mb, size_t i, cache_entry *e);
/* The same, for sending its BODYSTRUCTURE or BODY: those must be
 * well-formed lists (cache_struct_ok), checked once a session. */
int cache_get_answers(mbox *mb, size_t i, cache_entry *e);
/* Records message i's entry (e's uid, ino and key are taken from mb). */
void cache_put(mbox *mb, size_t i, cache_entry *e);
/* Frees mb->cache (mbox_close calls it). */
void cache_close(mbox *mb);

#endif
