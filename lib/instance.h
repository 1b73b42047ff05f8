/* instance.h: where this instance lives.
 * Every program finds its instance root from its own location: the program is
 * ROOT/bin/NAME, so ROOT is the parent of the directory holding the running
 * executable (read from /proc/self/exe, which a caller cannot forge).  When
 * that fails the compiled default YUBIN_DEFAULT_ROOT is used.  Nothing is ever
 * taken from the environment, so setuid programs are safe to use this. */
#ifndef YUBIN_INSTANCE_H
#define YUBIN_INSTANCE_H
#include <stddef.h>

#define INSTANCE_PATH_MAX 1024

/* Returns the instance root (no trailing slash); computed once. */
const char *instance_root(void);
/* Writes ROOT/rel into out; returns 1, or 0 with ENAMETOOLONG. */
int instance_path(char *out, size_t n, const char *rel);
/* 1 if this process runs as root (real or effective uid 0). */
int instance_is_root(void);

#endif
