/* yubin-rspawn: runs remote delivery attempts for yubin-send (doc/spawn.md).
 * Runs as yubinr; trusts only the requests yubin-send writes on fd 0
 * (send/spawn.h).  See send/README.md. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "instance.h"
#include "log.h"
#include "results.h"
#include "spawn.h"

#define REMOTE_TIMEOUT_MS (3600LL * 1000)   /* one attempt for up to 100 recipients */
#define NOT_INSTALLED "4.4.0 remote delivery is not installed"

static char prog[INSTANCE_PATH_MAX];

static pid_t start(const spawn_req *r, sa *out, int *fd)
{
  char mess[INSTANCE_PATH_MAX];
  int p[2];
  pid_t pid;
  size_t i;

  if (!*r->domain) die(111, "protocol error: remote request without a domain");
  if (access(prog, X_OK) != 0) {
    for (i = 0; i < r->nrcpt; i++)
      if (!spawn_line(out, "noinst", r->rcpt[i], "-", NOT_INSTALLED)) die(111, "out of memory");
    return 0;
  }
  if (!spawn_mess_path(mess, sizeof mess, r->id)) die(111, "instance path too long");
  if (pipe2(p, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
    for (i = 0; i < r->nrcpt; i++)
      if (!spawn_line(out, "temp", r->rcpt[i], "-", "4.3.0 unable to start yubin-remote")) die(111, "out of memory");
    return 0;
  }
  if (pid == 0) {
    char *argv[4 + SPAWN_RCPT_MAX + 1];
    char *envp[] = { "PATH=/usr/bin:/bin", NULL };
    int m;
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    setsid();
    if (dup2(p[1], 1) < 0) _exit(111);
    m = open(mess, O_RDONLY | O_CLOEXEC);
    if (m < 0 || dup2(m, 0) < 0) _exit(111);
    argv[0] = prog;
    argv[1] = (char *)r->id;
    argv[2] = (char *)r->domain;
    argv[3] = (char *)r->sender;
    for (i = 0; i < r->nrcpt; i++) argv[4 + i] = (char *)r->rcpt[i];
    argv[4 + r->nrcpt] = NULL;
    execve(prog, argv, envp);
    _exit(111);
  }
  close(p[1]);
  *fd = p[0];
  return pid;
}

static void finish(const spawn_req *r, const char *o, size_t len, int st, int timedout, sa *out)
{
  (void)st;   /* the lines count, not the exit code (doc/spawn.md) */
  if (!results_remote(out, r->rcpt, r->nrcpt, o, len, timedout)) die(111, "out of memory");
}

int main(int argc, char **argv)
{
  spawn_ops ops = { start, finish, REMOTE_TIMEOUT_MS };
  (void)argv;
  log_init("yubin-rspawn");
  if (argc != 1) die(100, "usage: yubin-rspawn (started by yubin-start)");
  if (!instance_path(prog, sizeof prog, "bin/yubin-remote")) die(111, "instance path too long");
  return spawn_loop(&ops);
}
