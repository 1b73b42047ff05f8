#include "inject.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic.h"
#include "instance.h"

static int queue_path(char *out, size_t n)
{
  const char *f = getenv("YUBINQUEUE");
  if (f && *f) {
    size_t l = strlen(f);
    if (l + 1 > n) { errno = ENAMETOOLONG; return 0; }
    memcpy(out, f, l + 1);
    return 1;
  }
  return instance_path(out, n, "bin/yubin-queue");
}

int inject_start(inject *q)
{
  char path[INSTANCE_PATH_MAX];
  int m[2], e[2];
  q->pid = -1;
  q->msgfd = q->envfd = -1;
  q->werr = 0;
  q->n = 0;
  if (!queue_path(path, sizeof path)) return 0;
  if (pipe2(m, O_CLOEXEC) != 0) return 0;
  if (pipe2(e, O_CLOEXEC) != 0) { close(m[0]); close(m[1]); return 0; }
  q->pid = fork();
  if (q->pid < 0) {
    int err = errno;
    close(m[0]); close(m[1]); close(e[0]); close(e[1]);
    errno = err;
    return 0;
  }
  if (q->pid == 0) {
    char *argv[2];
    if (dup2(m[0], 0) < 0 || dup2(e[0], 1) < 0) _exit(120);
    signal(SIGPIPE, SIG_DFL);
    argv[0] = path;
    argv[1] = 0;
    execv(path, argv);
    _exit(120);
  }
  close(m[0]);
  close(e[0]);
  q->msgfd = m[1];
  q->envfd = e[1];
  return 1;
}

static void flush(inject *q)
{
  if (q->n && !q->werr && !write_all(q->msgfd, q->buf, q->n)) q->werr = 1;
  q->n = 0;
}

void inject_write(inject *q, const char *b, size_t n)
{
  while (n > 0) {
    size_t room = sizeof q->buf - q->n, k = n < room ? n : room;
    memcpy(q->buf + q->n, b, k);
    q->n += k;
    b += k;
    n -= k;
    if (q->n == sizeof q->buf) flush(q);
  }
}

static int reap(inject *q)
{
  int st;
  pid_t r;
  if (q->pid <= 0) return -1;
  do r = waitpid(q->pid, &st, 0); while (r < 0 && errno == EINTR);
  q->pid = -1;
  if (r < 0) return -1;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return -1;
}

int inject_finish(inject *q, const char *env, size_t envlen)
{
  flush(q);
  close(q->msgfd);
  q->msgfd = -1;
  /* An injector that went away early still reports why by its exit code. */
  if (!q->werr) (void)write_all(q->envfd, env, envlen);
  close(q->envfd);
  q->envfd = -1;
  return reap(q);
}

void inject_abort(inject *q)
{
  if (q->msgfd >= 0) close(q->msgfd);
  if (q->envfd >= 0) close(q->envfd);
  q->msgfd = q->envfd = -1;
  q->n = 0;
  (void)reap(q);
}

const char *inject_reply(int code)
{
  switch (code) {
  case 11: return "554 5.1.3 address too long";
  case 31: return "554 5.3.4 message refused by the queue";
  case 51: return "451 4.3.0 out of memory, try again later";
  case 52: return "451 4.4.2 timeout while queueing, try again later";
  case 53: return "452 4.3.1 unable to write the message (disk full?), try again later";
  case 54: return "451 4.3.0 unable to read the message or envelope, try again later";
  case 55: return "451 4.3.0 unable to read a control file, try again later";
  case 61: case 62: case 63: case 64: case 65: case 66:
    return "451 4.3.0 queue trouble, try again later";
  case 71: return "451 4.3.0 message refused temporarily, try again later";
  case 81: return "451 4.3.0 internal error in the queue, try again later";
  case 91: return "554 5.5.0 envelope format error";
  case 120: return "451 4.3.0 unable to run the queue program, try again later";
  default: return "451 4.3.0 queue program failed, try again later";
  }
}
