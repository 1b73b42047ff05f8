#include "inject.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic.h"
#include "instance.h"
#include "log.h"
#include "sa.h"

#define INJECT_LOG_MAX 8192

static int is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

/* a run of exactly 16 lower-case hex digits in s */
static void find_id(const char *s, size_t n, char qid[QUEUE_ID_LEN + 1])
{
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && is_hex(s[j])) j++;
    if (j - i == QUEUE_ID_LEN) { memcpy(qid, s + i, QUEUE_ID_LEN); qid[QUEUE_ID_LEN] = 0; return; }
    i = j + 1;
  }
}

int inject(const char *msg, size_t len, const char *sender, const char *rcpt,
           char qid[QUEUE_ID_LEN + 1], long *pidout)
{
  char prog[INSTANCE_PATH_MAX];
  int in[2], env[2], err[2], st;
  pid_t pid;
  sa e = SA_ZERO;
  char log[INJECT_LOG_MAX];
  size_t loglen = 0;
  void (*old)(int);

  qid[0] = 0;
  if (!instance_path(prog, sizeof prog, "bin/yubin-queue")) return -1;
  if (!(sa_catc(&e, 'F') && sa_cats(&e, sender) && sa_catc(&e, 0) &&
        sa_catc(&e, 'T') && sa_cats(&e, rcpt) && sa_catc(&e, 0) && sa_catc(&e, 0))) { sa_free(&e); return -1; }
  if (pipe2(in, O_CLOEXEC) != 0) { sa_free(&e); return -1; }
  if (pipe2(env, O_CLOEXEC) != 0) { close(in[0]); close(in[1]); sa_free(&e); return -1; }
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(in[0]); close(in[1]); close(env[0]); close(env[1]); sa_free(&e); return -1;
  }
  pid = fork();
  if (pid < 0) {
    close(in[0]); close(in[1]); close(env[0]); close(env[1]); close(err[0]); close(err[1]);
    sa_free(&e);
    return -1;
  }
  if (pid == 0) {
    char *argv[] = { prog, NULL };
    char *envp[] = { "PATH=/usr/bin:/bin", NULL };
    if (dup2(in[0], 0) < 0 || dup2(env[0], 1) < 0 || dup2(err[1], 2) < 0) _exit(111);
    execve(prog, argv, envp);
    _exit(errno == ENOENT ? 111 : 111);
  }
  *pidout = (long)pid;
  close(in[0]);
  close(env[0]);
  close(err[1]);
  old = signal(SIGPIPE, SIG_IGN);
  /* yubin-queue reads all of the message, then the envelope */
  (void)write_all(in[1], msg, len);
  close(in[1]);
  (void)write_all(env[1], e.s, e.len);
  close(env[1]);
  for (;;) {
    ssize_t r = read(err[0], log + loglen, sizeof log - 1 - loglen);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    loglen += (size_t)r;
    if (loglen == sizeof log - 1) {
      (void)write_all(2, log, loglen);
      if (!qid[0]) find_id(log, loglen, qid);
      loglen = 0;
    }
  }
  close(err[0]);
  signal(SIGPIPE, old);
  if (loglen) {
    (void)write_all(2, log, loglen);
    if (!qid[0]) find_id(log, loglen, qid);
  }
  sa_free(&e);
  while (waitpid(pid, &st, 0) < 0) if (errno != EINTR) return -1;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return -1;
}
