/* maildrop.h: one POP3 session's view of a Maildir.
 *
 * On open: takes the lock (Maildir/yubin-pop3.lock, flock: released when the
 * session ends in any way), moves every message in new/ to cur/ (adding the
 * empty info ":2,"; flags already in cur/ are kept), lists cur/ once, and
 * numbers the messages in the order of their unique names (which begin with
 * the delivery time).  Message sizes come from the index.
 *
 * The index, Maildir/yubin-pop3.index, caches each message's size as POP3
 * sends it (CRLF line ends), so a session reads no message it has already
 * measured once and stats none.  Format, one entry per line, sorted by name
 * (byte order):
 *     yubin-pop3-index 1
 *     UNIQUE SIZE
 * UNIQUE is the message's base name up to ':', SIZE decimal.  A missing,
 * damaged or foreign index is ignored and rebuilt; it is rewritten (temporary
 * file and rename) when messages were measured or deleted.
 *
 * The UIDL of a message is its UNIQUE name, as qmail-pop3d gives it, so
 * clients moving from qmail keep their UIDLs.
 *
 * Memory: once the index matches the listing exactly, the names are dropped
 * from memory and read back from the index file when needed (through a 64 KiB
 * block cache: UIDL reads it in order); the info parts (":2,S") are kept in a
 * small table.  A session then holds 12 bytes per message. */
#ifndef YUBIN_MAILDROP_H
#define YUBIN_MAILDROP_H
#include <stddef.h>
#include <stdint.h>

#define MAILDROP_MAX_MESSAGES 2000000
#define MAILDROP_NAME_MAX 255
#define MAILDROP_PATH_MAX (MAILDROP_NAME_MAX + 8)   /* "cur/" NAME NUL */
#define MAILDROP_INFO_MAX 250     /* distinct info parts when names are dropped */
#define MAILDROP_INFO_LEN 31
#define MAILDROP_BLOCK 65536

typedef struct maildrop_msg {  /* 12 bytes: a 100,000-message maildrop is 1.2 MB of these */
  uint32_t name;               /* offset of the file name (in cur/) in the arena */
  uint32_t size;               /* octets as sent (CRLF); larger messages are not listed */
  uint16_t ulen;               /* length of the unique part (up to ':') */
  uint8_t deleted;             /* 1 marked by DELE; 2 gone (internal) */
  uint8_t info;                /* index into infos[] once names are dropped */
} maildrop_msg;

typedef struct maildrop {
  int lockfd;
  char *arena;                 /* NUL-terminated names, one after another (NULL once dropped) */
  size_t arena_len, arena_a;
  maildrop_msg *msg;
  size_t n, a;
  size_t measured;             /* messages read to learn their size this time */
  int index_stale;
  int idxfd;                   /* the index, when names are read from it; else -1 */
  char *blk;                   /* block cache over idxfd */
  size_t blk_off, blk_len;
  size_t ninfo;
  char infos[MAILDROP_INFO_MAX][MAILDROP_INFO_LEN + 1];
} maildrop;

#define MAILDROP_ZERO { .lockfd = -1, .idxfd = -1 }

/* Opens the Maildir in the current directory.  Returns 1; 0 with errno
 * EWOULDBLOCK when another session holds the lock; 0 with errno otherwise. */
int maildrop_open(maildrop *d);
/* Message i (0-based): its unique name (the UIDL) into out (size
 * MAILDROP_NAME_MAX + 1), or its path "cur/NAME" into out (size
 * MAILDROP_PATH_MAX).  1, or 0 with errno if the index cannot be read. */
int maildrop_uid(maildrop *d, size_t i, char *out);
/* The UIDL of message i: its unique name without the ",U=VALIDITY.UID"
 * part the IMAP server adds when it first sees a message (imapd/), so a
 * message keeps one UIDL whichever server saw it first. */
int maildrop_uidl(maildrop *d, size_t i, char *out);
int maildrop_path(maildrop *d, size_t i, char *out);
/* Removes the messages marked deleted; returns how many could not be
 * removed (0 = all gone), and rewrites the index. */
size_t maildrop_update(maildrop *d);
void maildrop_close(maildrop *d);

/* The size POP3 sends for a message stored at path: 1 or 0 with errno. */
int maildrop_measure(const char *path, unsigned long long *size);

#endif
