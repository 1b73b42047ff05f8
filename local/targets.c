/* Maildir, mbox and forward deliveries. */
#include "local.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "instance.h"
#include "maildir.h"
#include "mbox.h"
#include "queueprog.h"

static int put_fd(void *ctx, const char *b, size_t n) { return write_all(*(int *)ctx, b, n); }

void deliver_maildir(const char *dir, const char *prefix, size_t plen, result *r, char *file, size_t filen)
{
  maildir_tmp t;
  int readerr;
  file[0] = 0;
  /* A missing Maildir is created (its parent must exist). */
  if (!maildir_make(dir)) { result_sys(r, "unable to create the Maildir", errno); return; }
  if (!maildir_open_tmp(&t, dir)) { result_sys(r, "unable to create a file in the Maildir", errno); return; }
  if (!msg_feed(prefix, plen, put_fd, &t.fd, &readerr)) {
    int e = errno;
    maildir_abort(&t);
    result_sys(r, readerr ? "unable to read the message" : "unable to write to the Maildir", e);
    return;
  }
  if (!maildir_commit(&t)) { result_sys(r, "unable to commit to the Maildir", errno); return; }
  snprintf(file, filen, "new/%s", t.newname);
  result_set(r, RES_OK, "2.0.0 delivered to %s", dir);
}

/* Output through a 64 KiB buffer, so quoting does not make a write per line. */
typedef struct mbox_out {
  int fd;
  size_t len;
  char buf[65536];
} mbox_out;

static int out_flush(mbox_out *o)
{
  if (o->len && !write_all(o->fd, o->buf, o->len)) return 0;
  o->len = 0;
  return 1;
}

static int put_out(void *ctx, const char *b, size_t n)
{
  mbox_out *o = ctx;
  if (n > sizeof o->buf - o->len && !out_flush(o)) return 0;
  if (n >= sizeof o->buf) return write_all(o->fd, b, n);
  memcpy(o->buf + o->len, b, n);
  o->len += n;
  return 1;
}

typedef struct quote_ctx {
  mbox_quoter q;
  mbox_out *o;
} quote_ctx;

static int put_quoted(void *ctx, const char *b, size_t n)
{
  quote_ctx *c = ctx;
  return mbox_quote(&c->q, b, n, put_out, c->o);
}

void deliver_mbox(const char *path, const char *sender, const char *prefix, size_t plen, result *r)
{
  static mbox_out o;
  char from[MBOX_FROM_MAX];
  size_t fl;
  mbox m;
  quote_ctx qc = { MBOX_QUOTER_ZERO, &o };
  int readerr = 0;

  fl = mbox_from_line(from, sizeof from, sender, time(0));
  if (!fl) { result_set(r, RES_TEMP, "4.3.0 sender too long for an mbox From line"); return; }
  if (!mbox_open(&m, path, LOCAL_MBOX_LOCK_TIMEOUT)) {
    if (errno == ETIMEDOUT) result_set(r, RES_TEMP, "4.2.1 timed out waiting for the mbox lock");
    else result_sys(r, "unable to open the mbox", errno);
    return;
  }
  o.fd = m.fd;
  o.len = 0;
  if (!put_out(&o, from, fl) || !msg_feed(prefix, plen, put_quoted, &qc, &readerr) ||
      !mbox_quote_end(&qc.q, put_out, &o) || !out_flush(&o)) {
    int e = errno;
    mbox_abort(&m);
    result_sys(r, readerr ? "unable to read the message" : "unable to write to the mbox", e);
    return;
  }
  if (!mbox_close(&m)) { result_sys(r, "unable to sync the mbox", errno); return; }
  result_set(r, RES_OK, "2.0.0 delivered to %s", path);
}

/* The injector (lib/queueprog.h: YUBINQUEUE if set, else
 * ROOT/bin/yubin-queue).  Message on its fd 0, envelope on its fd 1. */
void deliver_forward(const char *sender, const char *rcpts, size_t count,
                     const char *prefix, size_t plen, result *r)
{
  char path[INSTANCE_PATH_MAX];
  int readerr = 0, ok, code;
  size_t i;
  queueprog q;
  sa envl = SA_ZERO;

  if (!queueprog_path(path, sizeof path)) { result_sys(r, "the queue injector's path", errno); return; }
  /* The envelope: F<sender>\0 T<rcpt>\0 ... \0 */
  ok = sa_catc(&envl, 'F') && sa_cats(&envl, sender) && sa_catc(&envl, 0);
  for (i = 0; ok && i < count; i++) {
    ok = sa_catc(&envl, 'T') && sa_cats(&envl, rcpts) && sa_catc(&envl, 0);
    rcpts += strlen(rcpts) + 1;
  }
  if (!ok || !sa_catc(&envl, 0)) { result_sys(r, "building the envelope", errno); sa_free(&envl); return; }
  if (!queueprog_start(&q, path)) { result_sys(r, "unable to start the queue injector", errno); sa_free(&envl); return; }
  /* A write error (the injector refused early) is answered by its exit code. */
  if (msg_feed(prefix, plen, put_fd, &q.msgfd, &readerr)) {
    close(q.msgfd);
    q.msgfd = -1;
    (void)write_all(q.envfd, envl.s, envl.len);
  }
  sa_free(&envl);
  code = queueprog_wait(&q);
  if (code < 0) { result_sys(r, "waitpid", errno); return; }
  if (readerr) { result_set(r, RES_TEMP, "4.3.0 unable to read the message"); return; }
  switch (code) {
  case 0:
    result_set(r, RES_OK, "2.0.0 forwarded to %zu address%s", count, count == 1 ? "" : "es");
    return;
  case 11: result_set(r, RES_PERM, "5.1.3 forward refused: address too long"); return;
  case 31: result_set(r, RES_PERM, "5.3.4 forward refused permanently (message too big?)"); return;
  case 53: result_set(r, RES_TEMP, "4.3.1 forward failed: queue write error or disk full"); return;
  case 81: result_set(r, RES_TEMP, "4.3.0 the queue injector crashed"); return;
  case 127: result_set(r, RES_TEMP, "4.3.0 forward failed: queue injector %s not found", path); return;
  default:
    result_set(r, RES_TEMP, "4.3.0 forward failed: queue injector exited %d", code);
    return;
  }
}
