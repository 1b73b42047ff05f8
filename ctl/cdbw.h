/* cdbw.h: writing a cdb durably: built under a temporary name beside the
 * target, fsynced, renamed over it, directory fsynced.  A reader that has the
 * old file open keeps a consistent snapshot; a new open sees the new one. */
#ifndef YUBIN_CTL_CDBW_H
#define YUBIN_CTL_CDBW_H
#include <stddef.h>
#include <sys/types.h>
#include <cdb.h>

#define CDBW_PATH_MAX 1024

typedef struct cdbw {
  struct cdb_make cm;
  int fd;
  char path[CDBW_PATH_MAX];
  char tmp[CDBW_PATH_MAX];
} cdbw;

/* Each returns 1, or 0 with errno; after a failure call cdbw_abort. */
int cdbw_start(cdbw *w, const char *path);
int cdbw_add(cdbw *w, const void *key, size_t klen, const void *val, size_t vlen);
/* uid (uid_t)-1: leave the owner alone. */
int cdbw_finish(cdbw *w, mode_t mode, uid_t uid, gid_t gid);
void cdbw_abort(cdbw *w);

#endif
