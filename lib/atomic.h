/* atomic.h: durable file commits.  A reader sees the old file or the new
 * one, never a mix; after success the new one survives a power cut. */
#ifndef YUBIN_ATOMIC_H
#define YUBIN_ATOMIC_H
#include <stddef.h>
#include <sys/types.h>

/* Writes data to path.tmp.PID, fsyncs, renames over path, fsyncs the
 * directory.  mode is applied; when uid != (uid_t)-1 the file is chowned.
 * Returns 1, or 0 with errno (the temporary file is removed). */
int atomic_write(const char *path, const void *data, size_t len, mode_t mode, uid_t uid, gid_t gid);
/* fsync the directory that holds path (or path itself if dir is 1). */
int fsync_dir_of(const char *path);
int fsync_dir(const char *dir);
/* write all of n bytes, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t n);

#endif
