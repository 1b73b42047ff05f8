/* spawn.h: the loop shared by yubin-lspawn and yubin-rspawn.
 * Requests from yubin-send on fd 0, one netstring each:
 *     SLOT\0 ID\0 SENDER\0 DOMAIN\0 RCPT\0 [RCPT\0 ...]
 * (DOMAIN empty for local deliveries, which carry one recipient).  Replies on
 * fd 1, one netstring per request, in any order:
 *     SLOT\0 then per recipient, in request order,
 *     RESULT TAB RCPT TAB HOST TAB TEXT LF
 * RESULT is ok, temp, perm, or noinst (remote delivery not installed). */
#ifndef YUBIN_SEND_SPAWN_H
#define YUBIN_SEND_SPAWN_H
#include <stddef.h>
#include <sys/types.h>
#include "sa.h"

#define SPAWN_MAX 1000                   /* deliveries at once */
#define SPAWN_RCPT_MAX 100               /* recipients in one request */
#define SPAWN_OUT_MAX ((size_t)256 << 10) /* what a delivery program may write */

typedef struct spawn_req {
  const char *slot, *id, *sender, *domain;
  const char *rcpt[SPAWN_RCPT_MAX];
  size_t nrcpt;
} spawn_req;

/* start: either appends the whole reply body to out (immediate result) and
 * returns 0, or starts a child writing to *fd and returns its pid (> 0).
 * finish: turns the child's output and wait status into the reply body. */
typedef struct spawn_ops {
  pid_t (*start)(const spawn_req *r, sa *out, int *fd);
  void (*finish)(const spawn_req *r, const char *output, size_t len, int status, int timedout, sa *out);
  long long timeout_ms;
} spawn_ops;

/* Runs until yubin-send closes fd 0.  Returns the exit code. */
int spawn_loop(const spawn_ops *ops);

/* Helpers for the programs. */
int spawn_line(sa *out, const char *result, const char *rcpt, const char *host, const char *text);
/* "ROOT/queue/mess/BB/ID" */
int spawn_mess_path(char *out, size_t n, const char *id);
int spawn_id_valid(const char *id);

#endif
