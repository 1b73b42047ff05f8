/* yubin-lspawn: runs local deliveries for yubin-send (doc/spawn.md).
 * Runs as root (so it can become each account's user); trusts only the
 * requests yubin-send writes on fd 0 (send/spawn.h).  See send/README.md. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acctwatch.h"
#include "addr.h"
#include "instance.h"
#include "log.h"
#include "privs.h"
#include "results.h"
#include "spawn.h"

#define LOCAL_TIMEOUT_MS (3600LL * 1000)   /* one delivery, including its programs */

static acctwatch accts;
static char prog[INSTANCE_PATH_MAX];
static char maildir_root[INSTANCE_PATH_MAX];
static int as_root;

static void child_fail(const char *text)
{
  (void)!write(1, text, strlen(text));
  (void)!write(1, "\n", 1);
  _exit(111);
}

static pid_t start(const spawn_req *r, sa *out, int *fd)
{
  const char *rcpt = r->rcpt[0], *at;
  char local[ADDR_LOCAL_MAX * 4 + 1], domain[ADDR_DOMAIN_MAX + 1], mess[INSTANCE_PATH_MAX];
  const char *home;
  acct_entry e;
  uid_t uid;
  gid_t gid;
  int p[2], rr;
  pid_t pid;

  if (r->nrcpt != 1) die(111, "protocol error: local request with %zu recipients", r->nrcpt);
  at = strrchr(rcpt, '@');
  if (!at || (size_t)(at - rcpt) >= sizeof local || strlen(at + 1) > ADDR_DOMAIN_MAX) {
    if (!spawn_line(out, "perm", rcpt, "-", "5.1.1 sorry, no mailbox here by that name")) die(111, "out of memory");
    return 0;
  }
  memcpy(local, rcpt, (size_t)(at - rcpt));
  local[at - rcpt] = 0;
  addr_lower(domain, at + 1, strlen(at + 1));
  domain[strlen(at + 1)] = 0;
  rr = acctwatch_refresh(&accts);
  if (rr < 0 || (rr == 1 && (rr = accounts_resolve(&accts.db, local, domain, &e)) < 0)) {
    if (!spawn_line(out, "temp", rcpt, "-", "4.3.0 unable to read the accounts database")) die(111, "out of memory");
    return 0;
  }
  if (rr == 0) e.kind = ACCT_NONE;
  if (e.kind == ACCT_NONE) {
    if (!spawn_line(out, "perm", rcpt, "-", "5.1.1 sorry, no mailbox here by that name")) die(111, "out of memory");
    return 0;
  }
  if (e.kind == ACCT_ACCOUNT && !e.virtual_user) { uid = e.uid; gid = e.gid; home = e.home; }
  else {
    if (privs_user(YUBIN_USER_VIRTUAL, &uid, &gid) != 1) {
      if (!spawn_line(out, "temp", rcpt, "-", "4.3.0 the virtual user does not exist")) die(111, "out of memory");
      return 0;
    }
    home = e.kind == ACCT_ACCOUNT ? e.home : maildir_root;
  }
  if (!as_root) { uid = getuid(); gid = getgid(); }
  if (as_root && uid == 0) {
    if (!spawn_line(out, "temp", rcpt, "-", "4.3.0 refusing to deliver as root")) die(111, "out of memory");
    return 0;
  }
  if (!spawn_mess_path(mess, sizeof mess, r->id)) die(111, "instance path too long");
  if (pipe2(p, O_CLOEXEC) != 0) {
    if (!spawn_line(out, "temp", rcpt, "-", "4.3.0 unable to create a pipe")) die(111, "out of memory");
    return 0;
  }
  pid = fork();
  if (pid < 0) {
    close(p[0]); close(p[1]);
    if (!spawn_line(out, "temp", rcpt, "-", "4.3.0 unable to fork")) die(111, "out of memory");
    return 0;
  }
  if (pid == 0) {
    char *argv[5];
    char *envp[] = { "PATH=/usr/bin:/bin", NULL };
    int m;
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    setsid();
    if (dup2(p[1], 1) < 0) _exit(111);
    m = open(mess, O_RDONLY | O_CLOEXEC);
    if (m < 0) child_fail("4.3.0 unable to open the queued message");
    if (dup2(m, 0) < 0) child_fail("4.3.0 unable to set up the delivery");
    if (!privs_drop(uid, gid)) child_fail("4.3.0 unable to switch to the account's user");
    if (chdir(home) != 0) child_fail("4.2.1 the mailbox's home directory is unavailable");
    argv[0] = prog;
    argv[1] = (char *)r->id;
    argv[2] = (char *)r->sender;
    argv[3] = (char *)rcpt;
    argv[4] = NULL;
    execve(prog, argv, envp);
    child_fail("4.3.0 unable to run yubin-local");
  }
  close(p[1]);
  *fd = p[0];
  return pid;
}

static void finish(const spawn_req *r, const char *o, size_t len, int st, int timedout, sa *out)
{
  if (!results_local(out, r->rcpt[0], o, len, st, timedout)) die(111, "out of memory");
}

int main(int argc, char **argv)
{
  spawn_ops ops = { start, finish, LOCAL_TIMEOUT_MS };
  (void)argv;
  log_init("yubin-lspawn");
  if (argc != 1) die(100, "usage: yubin-lspawn (started by yubin-start)");
  as_root = geteuid() == 0;
  if (!instance_path(prog, sizeof prog, "bin/yubin-local") ||
      !instance_path(maildir_root, sizeof maildir_root, "mail")) die(111, "instance path too long");
  (void)acctwatch_refresh(&accts);
  return spawn_loop(&ops);
}
