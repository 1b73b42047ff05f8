/* fsx.h: file-system helpers for yubin-setup and yubinctl: directories and
 * files with a given owner and mode, durable copies, tree removal.
 * uid (uid_t)-1 means "leave the owner alone" (an instance run by an
 * ordinary user owns everything itself).  Return 1, or 0 with errno. */
#ifndef YUBIN_CTL_FSX_H
#define YUBIN_CTL_FSX_H
#include <stddef.h>
#include <sys/types.h>

#define FSX_NOCHOWN ((uid_t)-1)

/* Creates path if missing (never through a symlink), then sets owner and
 * mode, also on an existing directory. */
int fsx_dir(const char *path, mode_t mode, uid_t uid, gid_t gid);
/* As fsx_dir for name inside the directory dfd, never through a symlink;
 * returns a descriptor of the directory, or -1 with errno. */
int fsx_dir_at(int dfd, const char *name, mode_t mode, uid_t uid, gid_t gid);
/* Creates the file with data if it does not exist; an existing file keeps
 * its contents but gets owner and mode. */
int fsx_file_default(const char *path, const void *data, size_t len, mode_t mode, uid_t uid, gid_t gid);
/* Sets owner then mode (chown clears setuid bits, so the order matters);
 * never follows a symlink. */
int fsx_own(const char *path, mode_t mode, uid_t uid, gid_t gid);
/* Copies regular file src over dst durably (temporary name, fsync, rename),
 * so a running copy of dst is never overwritten in place. */
int fsx_copy(const char *src, const char *dst, mode_t mode, uid_t uid, gid_t gid);
/* Makes dst a symlink to target, replacing whatever is there. */
int fsx_symlink(const char *target, const char *dst);
/* Removes a directory tree without following symlinks; a missing path is ok. */
int fsx_rmtree(const char *path);
/* 1 if path is a directory (not a symlink to one), 0 otherwise. */
int fsx_isdir(const char *path);

#endif
