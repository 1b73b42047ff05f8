/* privs.h: the instance's Unix users and dropping privileges.
 * When the instance runs as root, each role has its own user (DESIGN.md);
 * when it runs as an ordinary user (demo, developer tests) every role is that
 * user and privs_user() returns the current ids. */
#ifndef YUBIN_PRIVS_H
#define YUBIN_PRIVS_H
#include <sys/types.h>

#define YUBIN_USER_DAEMON "yubind"
#define YUBIN_USER_QUEUE  "yubinq"
#define YUBIN_USER_SEND   "yubins"
#define YUBIN_USER_REMOTE "yubinr"
#define YUBIN_USER_TLS    "yubint"
#define YUBIN_USER_LOG    "yubinlog"
#define YUBIN_USER_VIRTUAL "yubinv"
#define YUBIN_GROUP       "yubin"

/* Looks up a role's user.  Returns 1, 0 if the user does not exist (errno
 * ENOENT), -1 on error.  Not running as root: the current uid/gid, return 1. */
int privs_user(const char *name, uid_t *uid, gid_t *gid);
/* Drops to uid/gid in OpenSMTPD's order: setgroups (just gid), setresgid,
 * setresuid; then checks that regaining root fails.  Returns 1 or 0 with
 * errno.  A no-op returning 1 when not root and already uid/gid. */
int privs_drop(uid_t uid, gid_t gid);

#endif
