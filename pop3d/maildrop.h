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
 * clients moving from qmail keep their UIDLs. */
#ifndef YUBIN_MAILDROP_H
#define YUBIN_MAILDROP_H
#include <stddef.h>

#define MAILDROP_MAX_MESSAGES 2000000
#define MAILDROP_NAME_MAX 255
#define MAILDROP_INDEX_MAX ((size_t)256 << 20)

typedef struct maildrop_msg {
  size_t name;                 /* offset of the file name (in cur/) in the arena */
  unsigned long long size;     /* octets as sent (CRLF) */
  unsigned short ulen;         /* length of the unique part (up to ':') */
  unsigned char deleted;
} maildrop_msg;

typedef struct maildrop {
  int lockfd;
  char *arena;                 /* NUL-terminated names, one after another */
  size_t arena_len, arena_a;
  maildrop_msg *msg;
  size_t n, a;
  size_t measured;             /* messages read to learn their size this time */
  int index_stale;
} maildrop;

#define MAILDROP_ZERO { -1, 0, 0, 0, 0, 0, 0, 0, 0 }

/* Opens the Maildir in the current directory.  Returns 1; 0 with errno
 * EWOULDBLOCK when another session holds the lock; 0 with errno otherwise. */
int maildrop_open(maildrop *d);
/* The file name in cur/ of message i (0-based). */
const char *maildrop_name(const maildrop *d, size_t i);
/* Removes the messages marked deleted; returns how many could not be
 * removed (0 = all gone), and rewrites the index. */
size_t maildrop_update(maildrop *d);
void maildrop_close(maildrop *d);

/* The size POP3 sends for a message stored at path: 1 or 0 with errno. */
int maildrop_measure(const char *path, unsigned long long *size);

#endif
