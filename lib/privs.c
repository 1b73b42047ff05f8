#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "instance.h"

int privs_user(const char *name, uid_t *uid, gid_t *gid)
{
  struct passwd *pw;
  if (!instance_is_root()) { *uid = getuid(); *gid = getgid(); return 1; }
  errno = 0;
  pw = getpwnam(name);
  if (!pw) { if (errno == 0) { errno = ENOENT; return 0; } return -1; }
  *uid = pw->pw_uid;
  *gid = pw->pw_gid;
  return 1;
}

int privs_drop(uid_t uid, gid_t gid)
{
  if (geteuid() != 0) {
    if (getuid() == uid && geteuid() == uid && getgid() == gid) return 1;
    if (uid == geteuid() && uid == getuid()) return 1;
    errno = EPERM;
    return 0;
  }
  if (setgroups(1, &gid) != 0) return 0;
  if (setresgid(gid, gid, gid) != 0) return 0;
  if (setresuid(uid, uid, uid) != 0) return 0;
  if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) { errno = EPERM; return 0; }
  return 1;
}
