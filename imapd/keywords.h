/* keywords.h: IMAP keywords ($Forwarded, $Junk, $label1, any atom) kept
 * per folder, the way Dovecot keeps them in Maildirs, so folders move
 * between the two servers with their keywords:
 *
 * - a message carries its keywords as lowercase letters a..z after ":2,"
 *   in its file name (with the system flag letters D F R S T);
 * - FOLDER/dovecot-keywords maps the letters to names, one line "N NAME"
 *   each, N from 0 ('a') to 25 ('z').
 *
 * At most 26 keywords per folder.  The file is changed only under the
 * folder's flock (FOLDER/yubin-imap.lock, as for UIDs) and written
 * atomically.  A damaged file never stops a session: lines that are not
 * "N NAME" with N < 26, a valid atom as NAME, and neither N nor NAME seen
 * before are skipped; letters without a name stay on the messages and are
 * not shown. */
#ifndef YUBIN_KEYWORDS_H
#define YUBIN_KEYWORDS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define KW_MAX 26
#define KW_FILE "dovecot-keywords"
#define KW_FILE_MAX 16384      /* bytes read of the file */
#define KW_NAME_MAX 256        /* octets in a keyword */

typedef struct kwmap {
  char *name[KW_MAX];          /* NULL: the letter has no name */
  struct timespec mtime;       /* of the file when read (0 when absent) */
  ino_t ino;
  off_t size;
} kwmap;

typedef struct kw_name {
  const char *s;
  size_t len;
} kw_name;

/* Is s a keyword we keep (an IMAP atom, not a system flag, not too long)? */
int kw_valid(const char *s, size_t n);
/* Parses the text of a dovecot-keywords file into k (replacing it).
 * Returns 1, or 0 when out of memory.  Pure. */
int kw_parse(kwmap *k, const char *text, size_t n);
/* Reads dir's file into k (replacing it); no file means no keywords.
 * Returns 1, or 0 with errno. */
int kw_load(kwmap *k, const char *dir);
/* 1 if dir's file is not the one k was read from (size, time, inode). */
int kw_stale(const kwmap *k, const char *dir);
/* 1 if a and b name the same letters the same way. */
int kw_same(const kwmap *a, const kwmap *b);
void kw_free(kwmap *k);
/* The letter (0..25) named name (ASCII case ignored), or -1. */
int kw_find(const kwmap *k, const char *name, size_t n);
/* The letters that have a name, as a bit mask (bit 0 'a'). */
uint32_t kw_named(const kwmap *k);
/* Gives every name in names[0..n) a letter in dir, adding the missing ones
 * to the file under the folder's lock (k is read again there first, so it
 * ends up current).  New names take free letters, those not in avoid
 * (letters still on messages without a name) first.  *mask gets the
 * letters of the names.  Returns 1, or 0 with errno: ENOSPC when the folder
 * would need more than 26, EINVAL for a name that is not a keyword. */
int kw_assign(kwmap *k, const char *dir, const kw_name *names, size_t n, uint32_t avoid,
              uint32_t *mask);

#endif
