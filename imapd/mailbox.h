/* mailbox.h: one Maildir++ folder as an IMAP mailbox: the message list,
 * UIDs, UIDVALIDITY and UIDNEXT, flags in the file names.
 *
 * Every message in cur/ carries its UID and the folder's UIDVALIDITY in its
 * name:   BASE[,S=SIZE],U=VALIDITY.UID:2,FLAGS
 * so the state file FOLDER/yubin-imap.uid ("yubin-imap-uid 1 VALIDITY
 * UIDNEXT\n") can be rebuilt from the names alone with the same UIDVALIDITY
 * and UIDs (UIDNEXT becomes the highest UID + 1).  New messages (new/, or
 * cur/ without ",U=") get UIDs in delivery order, under an flock on
 * FOLDER/yubin-imap.lock, so concurrent sessions never hand out a UID twice;
 * the state file is written before any message is renamed to its UID, so a
 * UID is never reused even after a crash.
 *
 * A message whose ",U=" carries another UIDVALIDITY (copied in by hand from
 * another folder) is treated as new and renamed. */
#ifndef YUBIN_MAILBOX_H
#define YUBIN_MAILBOX_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define MBOX_PATH_MAX 4096
#define MBOX_MESSAGES_MAX 1000000    /* messages in one folder */
#define MBOX_STATE_FILE "yubin-imap.uid"
#define MBOX_LOCK_FILE "yubin-imap.lock"
#define MBOX_LIST_FILE "yubin-imap.list"   /* the saved listing of cur/ (mailbox.c) */

/* System flags, as bits. */
#define MF_SEEN 1u
#define MF_ANSWERED 2u
#define MF_FLAGGED 4u
#define MF_DELETED 8u
#define MF_DRAFT 16u
#define MF_RECENT 32u      /* session-only: first seen by this session */

/* One message: 32 bytes (100,000 messages: 3.2 MB) and its name.  The
 * Maildir flag letters we do not map are read from the name when needed. */
typedef struct mbox_msg {
  uint32_t uid;
  unsigned flags;
  char *name;            /* file name in cur/ (in an arena of the mbox unless own) */
  uint64_t ino;          /* the file's inode, from the directory listing */
  uint32_t cache_off;    /* its entry in the folder's cache (cache.h), 0 unknown */
  uint16_t own;          /* name was allocated on its own (after a rename) */
  uint16_t cache_ok;     /* that entry's checksum was checked (cache.c) */
} mbox_msg;

struct kwmap;

typedef struct mbox {
  char dir[MBOX_PATH_MAX];   /* the folder (a Maildir) */
  uint32_t uidvalidity;
  uint32_t uidnext;
  mbox_msg *m;
  size_t n;
  size_t cap;
  int readonly;
  char *arena;               /* the names of the first listing (SELECT) */
  size_t arena_len;
  char *arena2;              /* the names a refresh found changed or new: a
                              * refresh keeps the names it finds unchanged
                              * where they are, not a second copy */
  struct timespec cur_mt, new_mt;   /* cur/ and new/ when last listed */
  int listing_trusted;       /* that listing came a safe time after those */
  void *cache;               /* the folder's cache (cache.h), or NULL */
  uint64_t list_cache_ino;   /* the cache file the saved listing's offsets are in */
  uint64_t list_cache_scanned;   /* and how much of it they cover */
  struct kwmap *kw;          /* the names of the keyword letters; set by the caller after mbox_open */
} mbox;

/* Parses a cur/ file name: *uid and *validity from ",U=" (0 if absent),
 * *flags from ":2,", *size from ",S=" (-1 if absent).  Pure. */
void mbox_parse_name(const char *name, uint32_t *validity, uint32_t *uid, unsigned *flags,
                     long long *size);

/* The keyword letters a..z after ":2," in a file name, as bits (bit 0
 * 'a'; keywords.h names them); 0 for NULL.  Pure. */
uint32_t mbox_name_keywords(const char *name);
/* Those of message i (read from its name: no memory per message). */
#define mbox_keywords(mb, i) mbox_name_keywords((mb)->m[(i)].name)

/* Opens the folder: takes new mail, assigns UIDs, lists cur/ in UID order.
 * Returns 1, or 0 with errno. */
int mbox_open(mbox *mb, const char *dir, int readonly);
/* Looks again for messages added or removed by others (not at all when
 * cur/ and new/ have not changed since the last listing).  Sets *added to the
 * number of new messages (appended, with MF_RECENT) and calls gone(seq) for
 * each message that disappeared (highest sequence number first, as EXPUNGE
 * responses must go).  Returns 1, or 0 with errno. */
int mbox_refresh(mbox *mb, size_t *added, void (*gone)(size_t seq, void *ctx), void *ctx);
void mbox_close(mbox *mb);
/* Saves the listing with the messages' cache offsets (cache.h) in the
 * cache file cache_ino, indexed up to cache_scanned, when it is still what
 * cur/ holds and the folder is large.  1 saved, 0 not. */
int mbox_save_listing(mbox *mb, uint64_t cache_ino, uint64_t cache_scanned);

/* The path of message i (0-based) into out.  Returns 1, 0 if it does not fit. */
int mbox_path(const mbox *mb, size_t i, char *out, size_t n);
/* Sets message i's flags (renames the file).  1 ok, 0 with errno. */
int mbox_set_flags(mbox *mb, size_t i, unsigned flags);
/* The same with the keyword letters too. */
int mbox_set_flags_kw(mbox *mb, size_t i, unsigned flags, uint32_t keywords);
/* Removes every message with MF_DELETED, calling gone(seq) for each (in
 * decreasing sequence order).  Returns 1, or 0 with errno. */
int mbox_expunge(mbox *mb, void (*gone)(size_t seq, void *ctx), void *ctx);
/* Removes message i (unlinks it; the caller reports the EXPUNGE).
 * Returns 1, or 0 with errno (the message stays). */
int mbox_remove(mbox *mb, size_t i);
/* Message i's file is not under its name: another session changed its
 * flags.  Reads cur/ again and takes the current names (and flags) of all
 * the messages, matched by UID.  1 if message i has a file, 0 with errno
 * (ENOENT: it is gone; cur/ is read at most once while it does not change). */
int mbox_relocate(mbox *mb, size_t i);
/* Index of the message with UID uid, or -1 (binary search). */
long mbox_find_uid(const mbox *mb, uint32_t uid);

#endif
