#include "authrun.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

#include "atomic.h"

static int is_pipe(int fd)
{
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

int authrun(const char *auth, const char *service, const char *user, const char *pass, int *pid,
            int *input)
{
  int cred[2], in[2], st[2], status;
  size_t ul = strlen(user), pl = strlen(pass);
  char rec[2048];
  char c;
  ssize_t r;
  pid_t p;

  if (6 + ul + 1 + pl + 1 > sizeof rec) return AUTHRUN_BAD;
  if (pipe2(cred, O_CLOEXEC) != 0) return AUTHRUN_TEMP;
  if (pipe2(in, O_CLOEXEC) != 0) { close(cred[0]); close(cred[1]); return AUTHRUN_TEMP; }
  if (pipe2(st, O_CLOEXEC) != 0) {
    close(cred[0]); close(cred[1]); close(in[0]); close(in[1]);
    return AUTHRUN_TEMP;
  }
  p = fork();
  if (p < 0) {
    close(cred[0]); close(cred[1]); close(in[0]); close(in[1]); close(st[0]); close(st[1]);
    return AUTHRUN_TEMP;
  }
  if (p == 0) {
    /* move the three ends above every target first, so no dup2 overwrites a
     * source still to be placed; dup2 clears close-on-exec on the targets */
    int a = fcntl(cred[0], F_DUPFD_CLOEXEC, 10), b = fcntl(in[0], F_DUPFD_CLOEXEC, 10);
    int d = fcntl(st[1], F_DUPFD_CLOEXEC, 10);
    if (a < 0 || b < 0 || d < 0 || dup2(a, AUTHRUN_CRED_FD) != AUTHRUN_CRED_FD ||
        dup2(b, AUTHRUN_INPUT_FD) != AUTHRUN_INPUT_FD || dup2(d, AUTHRUN_STATUS_FD) != AUTHRUN_STATUS_FD)
      _exit(111);
    execl(auth, auth, service, (char *)0);
    _exit(111);
  }
  close(cred[0]);
  close(in[0]);
  close(st[1]);

  memcpy(rec, "PLAIN", 6);
  memcpy(rec + 6, user, ul + 1);
  memcpy(rec + 6 + ul + 1, pass, pl + 1);
  if (!write_all(cred[1], rec, 6 + ul + 1 + pl + 1)) {}
  sodium_memzero(rec, sizeof rec);
  close(cred[1]);

  do r = read(st[0], &c, 1); while (r < 0 && errno == EINTR);
  close(st[0]);
  if (r == 1 && c == AUTHRUN_READY) { *pid = (int)p; *input = in[1]; return AUTHRUN_OK; }
  close(in[1]);
  while (waitpid(p, &status, 0) < 0) if (errno != EINTR) return AUTHRUN_TEMP;
  if (r == 1 && c == AUTHRUN_BUSY) return AUTHRUN_IN_USE;
  if (!WIFEXITED(status)) return AUTHRUN_TEMP;
  switch (WEXITSTATUS(status)) {
  case 1: return AUTHRUN_BAD;
  case 2: return AUTHRUN_DISABLED;
  default: return AUTHRUN_TEMP;
  }
}

void authrun_handover(int input, const char *pending, size_t n)
{
  if (n && !write_all(input, pending, n)) {}
  close(input);
}

int authrun_status(char c)
{
  if (!is_pipe(AUTHRUN_STATUS_FD)) return 0;
  if (write(AUTHRUN_STATUS_FD, &c, 1) != 1) {}
  close(AUTHRUN_STATUS_FD);
  return 1;
}

long authrun_input(char *buf, size_t n)
{
  size_t got = 0;
  char extra;
  if (!is_pipe(AUTHRUN_INPUT_FD)) return 0;
  for (;;) {
    ssize_t r = read(AUTHRUN_INPUT_FD, got < n ? buf + got : &extra, got < n ? n - got : 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (got >= n) { close(AUTHRUN_INPUT_FD); return -1; }
    got += (size_t)r;
  }
  close(AUTHRUN_INPUT_FD);
  return (long)got;
}
