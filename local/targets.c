/* Maildir, mbox and forward deliveries. */
#include "local.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "instance.h"
#include "maildir.h"
#include "mbox.h"

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

/* The injector: YUBINQUEUE if set (a filter, qmail's QMAILQUEUE), else
 * ROOT/bin/yubin-queue.  Message on its fd 0, envelope on its fd 1. */
void deliver_forward(const char *sender, const char *rcpts, size_t count,
                     const char *prefix, size_t plen, result *r)
{
  char path[INSTANCE_PATH_MAX];
  const char *env = getenv("YUBINQUEUE");
  int m[2], e[2], st, readerr = 0, ok;
  size_t i;
  pid_t pid;
  sa envl = SA_ZERO;

  if (env && *env) {
    if (strlen(env) >= sizeof path) { result_set(r, RES_TEMP, "4.3.0 YUBINQUEUE too long"); return; }
    strcpy(path, env);
  } else if (!instance_path(path, sizeof path, "bin/yubin-queue")) {
    result_sys(r, "instance path", errno);
    return;
  }
  /* The envelope: F<sender>\0 T<rcpt>\0 ... \0 */
  ok = sa_catc(&envl, 'F') && sa_cats(&envl, sender) && sa_catc(&envl, 0);
  for (i = 0; ok && i < count; i++) {
    ok = sa_catc(&envl, 'T') && sa_cats(&envl, rcpts) && sa_catc(&envl, 0);
    rcpts += strlen(rcpts) + 1;
  }
  if (!ok || !sa_catc(&envl, 0)) { result_sys(r, "building the envelope", errno); sa_free(&envl); return; }

  signal(SIGPIPE, SIG_IGN);
  if (pipe2(m, O_CLOEXEC) != 0) { result_sys(r, "pipe", errno); sa_free(&envl); return; }
  if (pipe2(e, O_CLOEXEC) != 0) { result_sys(r, "pipe", errno); close(m[0]); close(m[1]); sa_free(&envl); return; }
  pid = fork();
  if (pid < 0) {
    result_sys(r, "fork", errno);
    close(m[0]); close(m[1]); close(e[0]); close(e[1]);
    sa_free(&envl);
    return;
  }
  if (pid == 0) {
    if (dup2(m[0], 0) < 0 || dup2(e[0], 1) < 0) _exit(81);
    signal(SIGPIPE, SIG_DFL);
    execl(path, path, (char *)0);
    _exit(errno == ENOENT ? 127 : 126);
  }
  close(m[0]);
  close(e[0]);
  /* A write error (the injector refused early) is answered by its exit code. */
  if (msg_feed(prefix, plen, put_fd, &m[1], &readerr)) {
    close(m[1]);
    m[1] = -1;
    (void)write_all(e[1], envl.s, envl.len);
  }
  if (m[1] >= 0) close(m[1]);
  close(e[1]);
  sa_free(&envl);
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) { result_sys(r, "waitpid", errno); return; }
  if (readerr) { result_set(r, RES_TEMP, "4.3.0 unable to read the message"); return; }
  if (!WIFEXITED(st)) { result_set(r, RES_TEMP, "4.3.0 the queue injector crashed"); return; }
  switch (WEXITSTATUS(st)) {
  case 0:
    result_set(r, RES_OK, "2.0.0 forwarded to %zu address%s", count, count == 1 ? "" : "es");
    return;
  case 11: result_set(r, RES_PERM, "5.1.3 forward refused: address too long"); return;
  case 31: result_set(r, RES_PERM, "5.3.4 forward refused permanently (message too big?)"); return;
  case 53: result_set(r, RES_TEMP, "4.3.1 forward failed: queue write error or disk full"); return;
  case 127: result_set(r, RES_TEMP, "4.3.0 forward failed: queue injector %s not found", path); return;
  default:
    result_set(r, RES_TEMP, "4.3.0 forward failed: queue injector exited %d", WEXITSTATUS(st));
    return;
  }
}
