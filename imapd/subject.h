/* subject.h: the base subject of RFC 5256 section 2.1, for SORT SUBJECT and
 * THREAD.  Pure. */
#ifndef YUBIN_IMAPD_SUBJECT_H
#define YUBIN_IMAPD_SUBJECT_H
#include <stddef.h>

#include "sa.h"

/* The base subject of the Subject value s (n octets, raw: encoded words
 * are decoded here) into out (replaced): UTF-8, case-folded, white space
 * runs made one space.  *reply is set to 1 when a reply or forward marker
 * ("Re:", "Fwd:", "(fwd)", "[fwd: ...]") was removed, else 0.  Returns 1,
 * or 0 with errno. */
int subject_base(const char *s, size_t n, sa *out, int *reply);

#endif
