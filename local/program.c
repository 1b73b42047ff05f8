/* Program delivery: /bin/sh -c COMMAND with the message on stdin, its
 * output (stdout and stderr, the first LOCAL_OUTPUT_MAX bytes kept) for the
 * status line, and a time limit after which its process group is killed. */
#include "local.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FEED_CHUNK 65536

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct feeder {
  const char *prefix;
  size_t plen, ppos;
  char buf[FEED_CHUNK];
  size_t len, pos;
  int eof, readerr;
} feeder;

/* Writes what it can without blocking.  Returns 1 while more is to come,
 * 0 when done (or the program closed its stdin), -1 on a read error. */
static int feed(feeder *f, int fd)
{
  for (;;) {
    const char *p;
    size_t n;
    ssize_t w;
    if (f->ppos < f->plen) { p = f->prefix + f->ppos; n = f->plen - f->ppos; }
    else {
      if (f->pos == f->len) {
        ssize_t r;
        if (f->eof) return 0;
        r = read(0, f->buf, sizeof f->buf);
        if (r < 0) { if (errno == EINTR) continue; f->readerr = errno; return -1; }
        if (r == 0) { f->eof = 1; return 0; }
        f->len = (size_t)r;
        f->pos = 0;
      }
      p = f->buf + f->pos;
      n = f->len - f->pos;
    }
    w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return 1;
      return 0;   /* EPIPE: the program does not want (the rest of) the message */
    }
    if (f->ppos < f->plen) f->ppos += (size_t)w;
    else f->pos += (size_t)w;
  }
}

/* Reads what the program wrote, keeping the first LOCAL_OUTPUT_MAX bytes.
 * Returns 0 (and closes fd) at end of output, else 1. */
static int collect(int fd, char *out, size_t *outlen)
{
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n > 0) {
    size_t k = (size_t)n;
    if (k > LOCAL_OUTPUT_MAX - *outlen) k = LOCAL_OUTPUT_MAX - *outlen;
    memcpy(out + *outlen, buf, k);
    *outlen += k;
    return 1;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 1;
  close(fd);
  return 0;
}

static void output_text(char *out, size_t len)
{
  size_t i;
  while (len && (out[len - 1] == '\n' || out[len - 1] == '\r' || out[len - 1] == ' ')) len--;
  out[len] = 0;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)out[i];
    if (c == '\n') out[i] = '/';
    else if (c < 0x20 || c == 0x7f) out[i] = ' ';
  }
}

void deliver_program(const char *cmd, char *const env[], const char *prefix, size_t plen,
                     unsigned timeout, result *r)
{
  static feeder f;
  char out[LOCAL_OUTPUT_MAX + 1];
  size_t outlen = 0;
  int in[2], op[2], st = 0, exited = 0, feeding = 1, reading = 1, timedout = 0;
  long long deadline = now_ms() + (long long)timeout * 1000;
  pid_t pid;

  memset(&f, 0, sizeof f);
  f.prefix = prefix;
  f.plen = plen;
  if (lseek(0, 0, SEEK_SET) != 0) { result_sys(r, "unable to read the message", errno); return; }
  signal(SIGPIPE, SIG_IGN);
  if (pipe2(in, O_CLOEXEC) != 0) { result_sys(r, "pipe", errno); return; }
  if (pipe2(op, O_CLOEXEC) != 0) { result_sys(r, "pipe", errno); close(in[0]); close(in[1]); return; }
  pid = fork();
  if (pid < 0) {
    result_sys(r, "fork", errno);
    close(in[0]); close(in[1]); close(op[0]); close(op[1]);
    return;
  }
  if (pid == 0) {
    /* Its own process group, so a timeout kills everything it started. */
    setsid();
    if (dup2(in[0], 0) < 0 || dup2(op[1], 1) < 0 || dup2(op[1], 2) < 0) _exit(111);
    signal(SIGPIPE, SIG_DFL);
    execle("/bin/sh", "sh", "-c", cmd, (char *)0, env);
    _exit(111);
  }
  close(in[0]);
  close(op[1]);
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  fcntl(op[0], F_SETFL, O_NONBLOCK);

  while (!exited) {
    struct pollfd p[2];
    nfds_t np = 0;
    long long left = deadline - now_ms();
    int ofd = -1;
    if (left <= 0) { timedout = 1; break; }
    if (feeding) {
      int fr = feed(&f, in[1]);
      if (fr <= 0) { close(in[1]); feeding = 0; }
      if (fr < 0) { kill(-pid, SIGKILL); break; }
    }
    if (feeding) { p[np].fd = in[1]; p[np].events = POLLOUT; np++; }
    if (reading) { p[np].fd = op[0]; p[np].events = POLLIN; ofd = (int)np++; }
    if (np > 0 && poll(p, np, left > 100 ? 100 : (int)left) < 0 && errno != EINTR) break;
    if (np == 0) poll(0, 0, left < 20 ? (int)left : 20);
    if (ofd >= 0 && (p[ofd].revents & (POLLIN | POLLHUP | POLLERR))) reading = collect(op[0], out, &outlen);
    /* The program's exit ends the delivery, even when something it started
     * in the background still holds its stdin or stdout. */
    {
      pid_t w = waitpid(pid, &st, WNOHANG);
      if (w == pid) {
        int k;
        exited = 1;
        for (k = 0; k < 16 && reading; k++) {
          struct pollfd q = { op[0], POLLIN, 0 };
          if (poll(&q, 1, 0) <= 0) break;
          reading = collect(op[0], out, &outlen);
        }
      } else if (w < 0 && errno != EINTR) {
        break;
      }
    }
  }
  if (feeding) close(in[1]);
  if (reading) close(op[0]);
  if (!exited) {
    kill(-pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  }
  output_text(out, outlen);
  if (f.readerr) { result_sys(r, "unable to read the message", f.readerr); return; }
  if (timedout) { result_set(r, RES_TEMP, "4.3.0 program timed out after %u seconds", timeout); return; }
  if (!WIFEXITED(st)) {
    result_set(r, RES_TEMP, "4.3.0 program killed by signal %d%s%s", WTERMSIG(st), outlen ? ": " : "", out);
    return;
  }
  switch (WEXITSTATUS(st)) {
  case 0: result_set(r, RES_OK, "2.0.0 program ok"); return;
  case 99: result_set(r, RES_STOP, "2.0.0 program ok, stop"); return;
  case 100: result_set(r, RES_PERM, "5.2.0 program failed permanently%s%s", outlen ? ": " : "", out); return;
  default:
    result_set(r, RES_TEMP, "4.2.0 program exited %d%s%s", WEXITSTATUS(st), outlen ? ": " : "", out);
    return;
  }
}
