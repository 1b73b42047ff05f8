#include "login.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

#include "atomic.h"
#include "handoff.h"
#include "log.h"

/* Puts src on fd target in the child, clearing close-on-exec. */
static int place(int high, int target)
{
  return dup2(high, target) == target;
}

int login_run(const char *auth, const char *user, const char *pass, int *pid, int *input)
{
  int cred[2], in[2], st[2], status;
  size_t ul = strlen(user), pl = strlen(pass);
  char rec[2048];
  char c;
  ssize_t r;
  pid_t p;

  if (6 + ul + 1 + pl + 1 > sizeof rec) return LOGIN_BAD;
  if (pipe2(cred, O_CLOEXEC) != 0) return LOGIN_TEMP;
  if (pipe2(in, O_CLOEXEC) != 0) { close(cred[0]); close(cred[1]); return LOGIN_TEMP; }
  if (pipe2(st, O_CLOEXEC) != 0) {
    close(cred[0]); close(cred[1]); close(in[0]); close(in[1]);
    return LOGIN_TEMP;
  }
  p = fork();
  if (p < 0) {
    close(cred[0]); close(cred[1]); close(in[0]); close(in[1]); close(st[0]); close(st[1]);
    return LOGIN_TEMP;
  }
  if (p == 0) {
    /* Move the three ends above every target first, so no dup2 overwrites a
     * source still to be placed. */
    int a = fcntl(cred[0], F_DUPFD_CLOEXEC, 10), b = fcntl(in[0], F_DUPFD_CLOEXEC, 10);
    int d = fcntl(st[1], F_DUPFD_CLOEXEC, 10);
    if (a < 0 || b < 0 || d < 0 || !place(a, HANDOFF_CRED_FD) || !place(b, HANDOFF_INPUT_FD) ||
        !place(d, HANDOFF_STATUS_FD)) _exit(111);
    execl(auth, auth, "pop3", (char *)0);
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
  if (r == 1 && c == HANDOFF_OK) { *pid = (int)p; *input = in[1]; return LOGIN_OK; }
  close(in[1]);
  while (waitpid(p, &status, 0) < 0) if (errno != EINTR) return LOGIN_TEMP;
  if (r == 1 && c == HANDOFF_IN_USE) return LOGIN_IN_USE;
  if (!WIFEXITED(status)) return LOGIN_TEMP;
  switch (WEXITSTATUS(status)) {
  case 1: return LOGIN_BAD;
  case 2: return LOGIN_DISABLED;
  default: return LOGIN_TEMP;
  }
}

void login_handover(int input, const char *pending, size_t n)
{
  if (n && !write_all(input, pending, n)) {}
  close(input);
}
