#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "instance.h"
#include "log.h"
#include "ns.h"
#include "uniq.h"

typedef struct sjob {
  pid_t pid;
  int fd;
  sa req;          /* a copy of the request: spawn_req points into it */
  spawn_req r;
  sa out;
  long long deadline;
  int timedout;
} sjob;

static int sigpipe_fds[2] = { -1, -1 };

static void on_chld(int s)
{
  int e = errno;
  (void)s;
  (void)!write(sigpipe_fds[1], "", 1);
  errno = e;
}

static long long mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int spawn_id_valid(const char *id)
{
  size_t i;
  for (i = 0; i < QUEUE_ID_LEN; i++)
    if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'))) return 0;
  return id[QUEUE_ID_LEN] == 0;
}

int spawn_mess_path(char *out, size_t n, const char *id)
{
  char rel[64];
  snprintf(rel, sizeof rel, "queue/mess/%s/%s", id + QUEUE_ID_LEN - 2, id);
  return instance_path(out, n, rel);
}

static int cat_field(sa *out, const char *s)
{
  for (; *s; s++) {
    char c = *s;
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    if (!sa_catc(out, c)) return 0;
  }
  return 1;
}

int spawn_line(sa *out, const char *result, const char *rcpt, const char *host, const char *text)
{
  return sa_cats(out, result) && sa_catc(out, '\t') && cat_field(out, rcpt) && sa_catc(out, '\t') &&
         cat_field(out, host) && sa_catc(out, '\t') && cat_field(out, text) && sa_catc(out, '\n');
}

/* splits a request strictly */
static int parse_req(char *d, size_t n, spawn_req *r)
{
  const char *f[4 + SPAWN_RCPT_MAX];
  size_t nf = 0, pos = 0, i;
  if (n == 0 || d[n - 1] != 0) return 0;
  while (pos < n) {
    if (nf == 4 + SPAWN_RCPT_MAX) return 0;
    f[nf++] = d + pos;
    pos += strlen(d + pos) + 1;
  }
  if (nf < 5) return 0;
  r->slot = f[0]; r->id = f[1]; r->sender = f[2]; r->domain = f[3];
  if (!*r->slot || strlen(r->slot) > 6 || strspn(r->slot, "0123456789") != strlen(r->slot)) return 0;
  if (!spawn_id_valid(r->id)) return 0;
  r->nrcpt = nf - 4;
  for (i = 0; i < r->nrcpt; i++) {
    r->rcpt[i] = f[4 + i];
    if (!*r->rcpt[i]) return 0;
  }
  return 1;
}

static void reply(chan *c, sjob *j, sa *body)
{
  sa r = SA_ZERO;
  if (!(sa_cats(&r, j->r.slot) && sa_catc(&r, 0) && sa_catb(&r, body->s, body->len) &&
        chan_put(c, r.s, r.len))) die(111, "out of memory");
  sa_free(&r);
}

static void job_clear(sjob *j)
{
  sa_free(&j->req);
  sa_free(&j->out);
  if (j->fd >= 0) close(j->fd);
  memset(j, 0, sizeof *j);
  j->fd = -1;
}

static void drain(sjob *j)
{
  char buf[4096];
  for (;;) {
    ssize_t r;
    if (j->fd < 0) return;
    r = read(j->fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) { if (r == 0 || errno != EAGAIN) { close(j->fd); j->fd = -1; } return; }
    if (j->out.len + (size_t)r <= SPAWN_OUT_MAX && !sa_catb(&j->out, buf, (size_t)r)) die(111, "out of memory");
  }
}

int spawn_loop(const spawn_ops *ops)
{
  static sjob jobs[SPAWN_MAX];
  chan c;
  size_t i, njobs = 0;
  struct sigaction sa_;
  struct pollfd *pf;

  for (i = 0; i < SPAWN_MAX; i++) { memset(&jobs[i], 0, sizeof jobs[i]); jobs[i].fd = -1; }
  if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) die_sys(111, "unable to create a pipe");
  memset(&sa_, 0, sizeof sa_);
  sa_.sa_handler = on_chld;
  sa_.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa_, NULL);
  signal(SIGPIPE, SIG_IGN);
  chan_init(&c, 0, 1);
  if (fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) != 0 ||
      fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK) != 0) die_sys(111, "unable to set up descriptors");
  pf = calloc(SPAWN_MAX + 3, sizeof *pf);
  if (!pf) die(111, "out of memory");

  for (;;) {
    size_t np = 0;
    int timeout = -1, r;
    long long now = mono_ms();
    const char *d;
    size_t dl;
    pid_t pid;
    int st;

    /* reap */
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
      for (i = 0; i < SPAWN_MAX; i++) {
        sjob *j = &jobs[i];
        sa body = SA_ZERO;
        if (j->pid != pid) continue;
        drain(j);
        ops->finish(&j->r, j->out.s ? j->out.s : "", j->out.len, st, j->timedout, &body);
        reply(&c, j, &body);
        sa_free(&body);
        job_clear(j);
        njobs--;
        break;
      }
    }
    /* time limits */
    for (i = 0; i < SPAWN_MAX; i++) {
      sjob *j = &jobs[i];
      if (!j->pid) continue;
      if (!j->timedout && now >= j->deadline) {
        j->timedout = 1;
        kill(-j->pid, SIGKILL);
        kill(j->pid, SIGKILL);
      }
    }
    /* new requests */
    while ((r = chan_next(&c, &d, &dl)) == 1) {
      sjob *j = NULL;
      sa body = SA_ZERO;
      int fd = -1;
      for (i = 0; i < SPAWN_MAX; i++) if (!jobs[i].pid && !jobs[i].req.s) { j = &jobs[i]; break; }
      if (!j) die(111, "protocol error: more than %d deliveries at once", SPAWN_MAX);
      if (!sa_copyb(&j->req, d, dl)) die(111, "out of memory");
      if (!parse_req(j->req.s, j->req.len, &j->r)) die(111, "protocol error: bad request");
      pid = ops->start(&j->r, &body, &fd);
      if (pid <= 0) {
        reply(&c, j, &body);
        sa_free(&body);
        job_clear(j);
        continue;
      }
      sa_free(&body);
      j->pid = pid;
      j->fd = fd;
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      j->deadline = now + ops->timeout_ms;
      njobs++;
    }
    if (r < 0) die(111, "protocol error: bad framing from yubin-send");
    if (chan_flush(&c) < 0) die_sys(111, "unable to write to yubin-send");
    if (c.eof) {           /* yubin-send is gone: running deliveries finish on their own */
      free(pf);
      sa_free(&c.in);
      sa_free(&c.out);
      return 0;
    }

    pf[np].fd = 0; pf[np].events = POLLIN; np++;
    pf[np].fd = sigpipe_fds[0]; pf[np].events = POLLIN; np++;
    if (chan_pending(&c)) { pf[np].fd = 1; pf[np].events = POLLOUT; np++; }
    for (i = 0; i < SPAWN_MAX; i++)
      if (jobs[i].pid && jobs[i].fd >= 0) { pf[np].fd = jobs[i].fd; pf[np].events = POLLIN; np++; }
    if (njobs) timeout = 1000;
    if (poll(pf, (nfds_t)np, timeout) < 0 && errno != EINTR) die_sys(111, "poll failed");
    {
      char b[256];
      while (read(sigpipe_fds[0], b, sizeof b) > 0) {}
    }
    if (pf[0].revents) {
      if (chan_fill(&c) < 0) die_sys(111, "unable to read from yubin-send");
    }
    for (i = 0; i < SPAWN_MAX; i++)
      if (jobs[i].pid && jobs[i].fd >= 0) drain(&jobs[i]);
  }
}
