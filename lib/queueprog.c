#include "queueprog.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic.h"
#include "instance.h"

int queueprog_path(char *out, size_t n)
{
  const char *env = getenv(QUEUEPROG_ENV);
  if (env && *env) {
    if (strlen(env) >= n) { errno = ENAMETOOLONG; return 0; }
    memcpy(out, env, strlen(env) + 1);
    return 1;
  }
  return instance_path(out, n, "bin/yubin-queue");
}

int queueprog_start(queueprog *q, const char *path)
{
  char buf[INSTANCE_PATH_MAX];
  int m[2], e[2];
  pid_t pid;

  if (!path) {
    if (!queueprog_path(buf, sizeof buf)) return 0;
    path = buf;
  }
  signal(SIGPIPE, SIG_IGN);
  if (pipe2(m, O_CLOEXEC) != 0) return 0;
  if (pipe2(e, O_CLOEXEC) != 0) { close(m[0]); close(m[1]); return 0; }
  pid = fork();
  if (pid < 0) {
    int err = errno;
    close(m[0]); close(m[1]); close(e[0]); close(e[1]);
    errno = err;
    return 0;
  }
  if (pid == 0) {
    /* Child: message pipe on fd 0, envelope pipe on fd 1.  dup2 clears
     * close-on-exec on the new descriptors. */
    if (dup2(m[0], 0) < 0 || dup2(e[0], 1) < 0) _exit(120);
    signal(SIGPIPE, SIG_DFL);
    execl(path, path, (char *)0);
    _exit(errno == ENOENT ? 127 : 126);
  }
  close(m[0]);
  close(e[0]);
  q->pid = pid;
  q->msgfd = m[1];
  q->envfd = e[1];
  return 1;
}

int queueprog_wait(queueprog *q)
{
  int st;
  if (q->msgfd >= 0) { close(q->msgfd); q->msgfd = -1; }
  if (q->envfd >= 0) { close(q->envfd); q->envfd = -1; }
  while (waitpid(q->pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return 81;
}

int queueprog_run(const char *path, const char *msg, size_t msglen, const char *env, size_t envlen)
{
  queueprog q;
  if (!queueprog_start(&q, path)) return -1;
  /* A failed write (EPIPE: the injector refused early) is answered by the
   * exit code, which is what the caller reports. */
  if (write_all(q.msgfd, msg, msglen)) {
    close(q.msgfd);
    q.msgfd = -1;
    (void)write_all(q.envfd, env, envlen);
  }
  return queueprog_wait(&q);
}

const char *queueprog_strerror(int code)
{
  switch (code) {
  case 0: return "ok";
  case 11: return "address too long";
  case 31: return "message refused permanently (too big?)";
  case 51: return "out of memory";
  case 52: return "timeout";
  case 53: return "write error or disk full";
  case 54: return "unable to read the message or envelope";
  case 55: return "unable to read a control file";
  case 61: return "problem with the instance directory";
  case 62: return "problem with the queue directory";
  case 63: return "problem with queue/lock";
  case 64: return "problem with queue/mess";
  case 65: return "problem with queue/intd";
  case 66: return "problem with queue/todo";
  case 71: return "message refused temporarily";
  case 81: return "internal bug in the queue injector";
  case 91: return "envelope format error";
  case 126: return "queue injector not executable";
  case 127: return "queue injector not found";
  }
  return "unexpected exit code from the queue injector";
}
