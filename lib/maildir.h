/* maildir.h: Maildir primitives (delivery by tmp-then-new, unique names),
 * shared by local delivery and the POP3/IMAP servers.
 *
 * A file name is  SECONDS.M<usec>P<pid>Q<counter>R<random>.<host>  (the
 * counter counts deliveries by this process, the random part is 16 hex
 * digits) and, once in new/, gets Maildir++'s ",S=<size>" appended.  In the
 * host name '/' becomes "\057" and ':' becomes "\072", as the Maildir
 * convention asks.
 *
 * Delivery: maildir_open_tmp creates tmp/NAME exclusively; the caller writes
 * the message to t.fd; maildir_commit fsyncs the file, links it to
 * new/NAME,S=SIZE, removes tmp/NAME and fsyncs new/.  Any failure removes
 * the tmp file.  ENOSPC and EDQUOT come back as errno, for the caller to
 * treat as temporary failures. */
#ifndef YUBIN_MAILDIR_H
#define YUBIN_MAILDIR_H
#include <stddef.h>
#include <sys/types.h>
#include <sys/time.h>

#define MAILDIR_NAME_MAX 255     /* one file name */
#define MAILDIR_PATH_MAX 4096

typedef struct maildir_tmp {
  int fd;                              /* the open tmp file, for writing */
  char dir[MAILDIR_PATH_MAX];          /* the Maildir, without trailing slash */
  char name[MAILDIR_NAME_MAX + 1];     /* the unique name (without ,S=) */
  char newname[MAILDIR_NAME_MAX + 1];  /* after commit: new/NAME,S=SIZE */
  off_t size;                          /* after commit */
} maildir_tmp;

/* Writes a unique name from its parts into out.  Returns its length, or 0
 * if it does not fit.  Pure. */
size_t maildir_name(char *out, size_t n, const struct timeval *tv, pid_t pid, unsigned long counter,
                    const char *random, const char *host);
/* A fresh unique name for this process (time, pid, counter, 16 random hex
 * digits, host from control_me()).  Returns its length or 0. */
size_t maildir_uniq(char *out, size_t n);
/* Creates dir, dir/tmp, dir/new, dir/cur (mode 0700) where missing; the
 * parent must exist.  Returns 1, or 0 with errno. */
int maildir_make(const char *dir);
/* Creates tmp/NAME exclusively (mode 0600).  Returns 1, or 0 with errno. */
int maildir_open_tmp(maildir_tmp *t, const char *dir);
/* Returns 1 (t->newname, t->size set; the fd is closed), or 0 with errno
 * (the tmp file removed). */
int maildir_commit(maildir_tmp *t);
/* Closes and removes the tmp file (errno preserved). */
void maildir_abort(maildir_tmp *t);

#endif
