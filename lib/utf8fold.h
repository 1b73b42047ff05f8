/* utf8fold.h: simple Unicode case folding of UTF-8 text, for comparing
 * text case-insensitively (IMAP SEARCH and SORT).  Covers ASCII, Latin-1,
 * Latin Extended-A and Additional, Greek, Cyrillic, Armenian and the
 * fullwidth Latin letters; other characters and invalid octets are copied
 * as they are.  Pure. */
#ifndef YUBIN_UTF8FOLD_H
#define YUBIN_UTF8FOLD_H
#include <stddef.h>

#include "sa.h"

/* Appends the folded form of s (n octets) to out.  1, or 0 with errno. */
int utf8_fold(const char *s, size_t n, sa *out);
/* The folded form of one code point. */
unsigned utf8_fold_cp(unsigned cp);

#endif
