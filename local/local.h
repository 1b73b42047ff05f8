/* local.h: the parts of yubin-local (one local delivery; local/README.md). */
#ifndef YUBIN_LOCAL_H
#define YUBIN_LOCAL_H
#include <stddef.h>
#include <sys/types.h>

#include "dotfile.h"
#include "sa.h"

/* How much of the message's start is searched for Delivered-To: lines. */
#define LOCAL_HEADER_SCAN_MAX ((size_t)256 << 10)
/* Program output kept for the status line. */
#define LOCAL_OUTPUT_MAX 400
#define LOCAL_TEXT_MAX 600
#define LOCAL_MBOX_LOCK_TIMEOUT 120

/* Result of one delivery step, and of the whole delivery. */
#define RES_OK 0
#define RES_STOP 99     /* program said: ok, stop processing further lines */
#define RES_PERM 100
#define RES_TEMP 111

typedef struct result {
  int code;                    /* RES_* */
  char text[LOCAL_TEXT_MAX];   /* "X.Y.Z text", one line */
} result;

void result_set(result *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A system error: ENOSPC and EDQUOT get their own codes; always temporary. */
void result_sys(result *r, const char *what, int err);

/* header.c: 1 if the header section of msg (n bytes, possibly cut short)
 * holds a Delivered-To: field whose value equals rcpt (ASCII case-insensitive,
 * surrounding white space ignored).  Pure. */
int header_has_delivered_to(const char *msg, size_t n, const char *rcpt);

/* message.c: the message is fd 0, a seekable file, read again for each
 * delivery.  prefix (header lines to add) comes first. */
typedef int (*msg_put)(void *ctx, const char *b, size_t n);
/* Feeds prefix and then the whole message to put.  Returns 1, 0 with errno:
 * *readerr is set to 1 when reading the message failed (else put failed). */
int msg_feed(const char *prefix, size_t plen, msg_put put, void *ctx, int *readerr);
/* Reads at most max bytes of the message's start into out. */
int msg_head(sa *out, size_t max);

/* targets.c: one delivery each; r set. */
void deliver_maildir(const char *dir, const char *prefix, size_t plen, result *r, char *file, size_t filen);
void deliver_mbox(const char *path, const char *sender, const char *prefix, size_t plen, result *r);
/* cmd: NUL-terminated; env: NULL-terminated "K=V" list. */
void deliver_program(const char *cmd, char *const env[], const char *prefix, size_t plen,
                     unsigned timeout, result *r);
/* Injects one copy of the message (prefix first) for the recipients in
 * rcpts (count addresses, each NUL-terminated) with the envelope sender. */
void deliver_forward(const char *sender, const char *rcpts, size_t count,
                     const char *prefix, size_t plen, result *r);

#endif

/* cascade.c: finds the control file for an extension in the current
 * directory (the account's home): for "a-b" .yubin-a-b, .yubin-a-default,
 * .yubin-default; for "" .yubin; with fallback (subdomain addresses) .yubin
 * after the cascade.  Returns 1 with name and content set, 0 when none
 * exists, -1 with r set (temporary failure). */
int cascade_find(const char *ext, int fallback, char *name, size_t namelen, sa *content, result *r);

/* run.c: what one delivery needs to know. */
typedef struct job {
  const char *qid;
  const char *sender;         /* "" for the null sender */
  const char *rcpt;           /* lower-cased */
  const char *local, *host;   /* parts of rcpt */
  const char *ext;            /* "" if none */
  const char *user;           /* the account name */
  const char *home;           /* the current directory */
  const char *rpline;         /* "Return-Path: <sender>\n" */
  const char *dtline;         /* "Delivered-To: rcpt\n" */
  unsigned long maxforwards;
  unsigned timeout;
} job;

/* Carries out the deliveries of a parsed control file (or the default
 * ./Maildir/ when n is 0 and dflt is set); r is the overall result. */
void run_lines(const job *j, const char *file, const dotfile_line *d, size_t n, result *r);
/* Forwards to the NUL-separated addresses (aliases). */
void run_forward(const job *j, const char *targets, size_t count, result *r);
