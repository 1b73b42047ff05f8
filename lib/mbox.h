/* mbox.h: appending to mbox files (mboxrd conventions).
 *
 * A message is written as
 *   From SENDER DATE            (SENDER "MAILER-DAEMON" for the null sender;
 *                                DATE in ctime form, UTC)
 *   the message, every line matching ^>*From  getting one more '>'
 *   a LF if the message did not end in one, then one blank line.
 *
 * Locking: an fcntl write lock on the file and a dot-lock FILE.lock created
 * with O_EXCL (a dot-lock older than MBOX_DOTLOCK_STALE seconds is removed as
 * stale; a directory where no dot-lock can be created, EACCES, is served by
 * the fcntl lock alone).  Both are waited for at most the timeout given.
 * On any error after the first byte is written the file is truncated back to
 * its old size, so a reader never sees half a message. */
#ifndef YUBIN_MBOX_H
#define YUBIN_MBOX_H
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define MBOX_DOTLOCK_STALE 300
#define MBOX_FROM_MAX 1100
#define MBOX_PATH_MAX 4096

/* The quoting state machine: pure, fed any split of the input. */
typedef int (*mbox_put)(void *ctx, const char *b, size_t n);
typedef struct mbox_quoter {
  int state;       /* 0 line start, 1 counting '>', 2 matching "From ", 3 rest of line */
  size_t gts;      /* '>' seen at the line start, not yet written */
  size_t matched;  /* bytes of "From " matched */
  int last;        /* last byte written, -1 for none */
} mbox_quoter;
#define MBOX_QUOTER_ZERO { 0, 0, 0, -1 }

/* Feeds n bytes; output goes to put.  Returns 1, or 0 when put fails. */
int mbox_quote(mbox_quoter *q, const char *in, size_t n, mbox_put put, void *ctx);
/* Flushes what is pending and writes the message end (LF if needed, then a
 * blank line).  Returns 1, or 0 when put fails. */
int mbox_quote_end(mbox_quoter *q, mbox_put put, void *ctx);
/* The "From " line (with its LF) into out; returns its length, 0 if too long. */
size_t mbox_from_line(char *out, size_t n, const char *sender, time_t t);

typedef struct mbox {
  int fd;
  off_t oldsize;
  char lock[MBOX_PATH_MAX];  /* the dot-lock path when held, else "" */
} mbox;

/* Opens (creating, mode 0600) and locks path, waiting at most timeout
 * seconds for the locks (ETIMEDOUT).  Returns 1, or 0 with errno. */
int mbox_open(mbox *m, const char *path, unsigned timeout);
/* fsync and unlock.  Returns 1, or 0 with errno (the file truncated back). */
int mbox_close(mbox *m);
/* Truncates back to the old size and unlocks (errno preserved). */
void mbox_abort(mbox *m);

#endif
