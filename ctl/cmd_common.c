#include <errno.h>

#include "cmd.h"
#include "out.h"

void cmd_open(ctl_db *db, const char *root, int lock)
{
  const char *what = "";
  if (!db_open(db, root, lock, &what)) {
    if (errno == EINVAL) ctl_fail(CTL_TEMP, "unable to %s: malformed line %zu", what, db->bad_line);
    ctl_fail_sys(CTL_TEMP, "unable to %s", what);
  }
}

void cmd_commit(ctl_db *db)
{
  const char *what = "";
  if (!db_commit(db, &what)) ctl_fail_sys(CTL_TEMP, "unable to %s", what);
}
