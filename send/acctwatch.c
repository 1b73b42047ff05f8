#include "acctwatch.h"

#include <errno.h>
#include <string.h>

#include "instance.h"
#include "log.h"

int acctwatch_refresh(acctwatch *w)
{
  char path[INSTANCE_PATH_MAX];
  struct stat st;
  int have;

  if (!instance_path(path, sizeof path, "accounts/accounts.cdb")) return -1;
  have = stat(path, &st) == 0;
  if (!have && errno != ENOENT) return w->inited ? w->state : -1;
  if (w->inited) {
    if (!have && w->state == 0) return 0;
    if (have && w->state == 1 && st.st_dev == w->dev && st.st_ino == w->ino &&
        st.st_mtim.tv_sec == w->mtime.tv_sec && st.st_mtim.tv_nsec == w->mtime.tv_nsec)
      return 1;
    if (w->state == 1) accounts_close(&w->db);
  }
  w->inited = 1;
  w->state = accounts_open(&w->db, NULL);
  if (w->state < 0) warn_sys("unable to open accounts/accounts.cdb");
  if (have) { w->dev = st.st_dev; w->ino = st.st_ino; w->mtime = st.st_mtim; }
  return w->state;
}
