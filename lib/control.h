/* control.h: qmail-style control files, one setting per file, in ROOT/control/.
 * Names are relative to the control directory ("me", "tls/cert.pem").
 * Each reader returns 1 = found, 0 = absent (the caller uses its documented
 * default), -1 = error (errno set; a file over its limit is ERANGE). */
#ifndef YUBIN_CONTROL_H
#define YUBIN_CONTROL_H
#include <stddef.h>
#include "sa.h"

#define CONTROL_FILE_MAX ((size_t)4 << 20)

/* Whole file into out (capped at CONTROL_FILE_MAX). */
int control_readfile(const char *name, sa *out);
/* First line, trailing whitespace removed, NUL-terminated. */
int control_readline(const char *name, sa *out);
/* First line as an unsigned integer in [min,max]; out-of-range or junk: -1 EINVAL. */
int control_readulong(const char *name, unsigned long min, unsigned long max, unsigned long *out);
/* Every non-empty line that does not start with '#', whitespace trimmed,
 * each NUL-terminated one after another in out; *count set. */
int control_readlines(const char *name, sa *out, size_t *count);
/* Convenience: integer setting with a default; on error logs a warning and
 * returns the default. */
unsigned long control_ulong_or(const char *name, unsigned long dflt, unsigned long min, unsigned long max);
/* Host name of this instance: control/me, else gethostname(). */
const char *control_me(void);

#endif
