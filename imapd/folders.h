/* folders.h: the folders of an account as LIST, LSUB, STATUS and RENAME
 * see them: Maildir++ subfolders MAILDIR/.NAME (NAME in modified UTF-7,
 * "." between levels), the subscriptions (MAILDIR/subscriptions, one name a
 * line), special-use attributes (RFC 6154), and the counts STATUS gives,
 * taken from the file names alone. */
#ifndef YUBIN_FOLDERS_H
#define YUBIN_FOLDERS_H
#include <stddef.h>
#include <stdint.h>

#define FOLDERS_MAX 10000              /* folders and subscriptions listed */
#define FOLDER_NAME_MAX 255            /* octets in a folder name (wire form) */
#define FOLDER_SPECIALUSE_FILE "yubin-imap.specialuse"   /* in the folder: "\Sent\n" */

typedef struct folder_entry {
  char *name;
  unsigned exists : 1;       /* a folder (or INBOX); else only a subscription or a parent */
  unsigned subscribed : 1;
  unsigned children : 1;     /* has a descendant folder that exists */
  unsigned subchildren : 1;  /* has a subscribed descendant */
  unsigned matched : 1;      /* by folder_list_match */
  unsigned childinfo : 1;    /* has a subscribed descendant that no pattern matched */
} folder_entry;

typedef struct folder_list {
  folder_entry *e;           /* sorted by name (bytes), INBOX first */
  size_t n;
  size_t cap;
} folder_list;

/* Every folder of maildir, INBOX, every subscription and every parent
 * level of those.  Returns 1, or 0 with errno. */
int folder_list_build(folder_list *l, const char *maildir);
void folder_list_free(folder_list *l);

typedef struct folder_pattern {
  const char *s;
  size_t len;
} folder_pattern;

/* Sets matched on the entries that ref followed by one of the patterns
 * matches, and childinfo on those with a subscribed descendant that none
 * matches (RFC 5258 CHILDINFO: the client would not see it otherwise).
 * Returns 1, or 0 with errno (ENAMETOOLONG). */
int folder_list_match(folder_list *l, const char *ref, size_t rl, const folder_pattern *pats, size_t np);

/* Does the pattern (with "*" and "%") match name (at most
 * FOLDER_NAME_MAX octets; longer ones match nothing)?  "INBOX" matches
 * ignoring case.  Work at most the product of the lengths.  Pure. */
int folder_match(const char *pat, size_t pn, const char *name, size_t nn);

/* The special-use attribute of folder name ("\Sent" ...) into out: the one
 * set by CREATE (USE ...) or, without one, that of the usual names (Sent,
 * Drafts, Trash, Junk, Archive).  Returns 1 if it has one. */
int folder_special_use(const char *maildir, const char *name, char *out, size_t n);
/* Is a a special-use attribute we know (ignoring case)?  Its spelling, or NULL. */
const char *folder_special_use_known(const char *a, size_t n);
/* Records the special-use attribute of the folder dir.  1, or 0 with errno. */
int folder_special_use_set(const char *dir, const char *attr);

typedef struct folder_status {
  size_t messages;
  size_t unseen;
  size_t recent;             /* messages without a UID yet: recent for the next session */
  uint32_t uidvalidity;
  uint32_t uidnext;
} folder_status;

/* STATUS of the Maildir dir, from the names in cur/ and new/ and the UID
 * state file, without reading or renaming any message (the state file is
 * rebuilt first when it is missing).  Returns 1, or 0 with errno. */
int folder_status_get(const char *dir, folder_status *st);

/* Renames the folder from (a Maildir++ name) and all its subfolders to to,
 * in maildir, and their subscriptions.  0 with errno: EEXIST when to or one
 * of the new names exists, ENOENT when from does not exist, EINVAL when to
 * is inside from. */
int folder_rename(const char *maildir, const char *from, const char *to);
/* RENAME INBOX: moves INBOX's messages (cur/ and new/), its UID state and
 * keyword names into the new folder to, under INBOX's lock; INBOX stays,
 * empty, with its UIDVALIDITY and UIDNEXT, so no UID is used twice.  The
 * messages keep their names, so their UIDs and the UIDVALIDITY move with
 * them.  1, or 0 with errno (EEXIST). */
int folder_rename_inbox(const char *maildir, const char *to);

#endif
