/* table.h: the text files of ROOT/accounts/ as sorted tables of lines
 * "KEY VALUE" (the value may be empty: "KEY").  Keys are unique.  Parsing is
 * strict: a line over TABLE_LINE_MAX, a NUL byte, a control character, a
 * duplicate key or a missing final newline is an error (EINVAL), so a damaged
 * file is reported rather than silently rewritten. */
#ifndef YUBIN_CTL_TABLE_H
#define YUBIN_CTL_TABLE_H
#include <stddef.h>

#include "sa.h"

#define TABLE_LINE_MAX 4096
#define TABLE_FILE_MAX ((size_t)256 << 20)

typedef struct trow {
  char *key;
  char *val;   /* "" when the line has no value */
} trow;

typedef struct table {
  trow *r;
  size_t n, a;
  size_t bad_line;   /* after a parse error: the 1-based line number */
  int whole;         /* the key is the whole line (may hold spaces), no value */
} table;
#define TABLE_ZERO { 0, 0, 0, 0, 0 }

/* Returns 1, or 0 with errno (EINVAL: malformed, bad_line set). */
int table_parse(table *t, const char *s, size_t n);
/* Reads and parses a file; a missing file is an empty table. */
int table_load(table *t, const char *path);
/* The row with this key, or NULL. */
trow *table_get(const table *t, const char *key);
/* Inserts or replaces.  1, or 0 with errno (EINVAL: key or value unfit). */
int table_set(table *t, const char *key, const char *val);
/* 1 if removed, 0 if absent. */
int table_del(table *t, const char *key);
/* Appends every line, sorted by key, to out. */
int table_format(const table *t, sa *out);
void table_free(table *t);

#endif
