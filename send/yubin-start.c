/* yubin-start: starts the delivery group (qmail-start's design).  Run by the
 * s6 service "send" (run: exec 2>&1; exec ROOT/bin/yubin-start; s6
 * notification-fd 3).  Creates three pairs of pipes and starts
 *   yubin-lspawn  (root)      fd 0 requests from send, fd 1 replies
 *   yubin-rspawn  (yubinr)    the same
 *   yubin-clean   (yubinq)    the same
 *   yubin-send    (yubins)    fds 4/5 lspawn, 6/7 rspawn, 8/9 clean, 3 s6 notification
 * Not root: everything runs as the caller.  Every child gets SIGKILL if
 * yubin-start dies.  When any child exits the group is stopped (yubin-send
 * gets SIGTERM, the helpers see end of input) and yubin-start exits, so s6
 * restarts all of it: 0 after SIGTERM, 111 when a child died on its own,
 * 100 usage. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "instance.h"
#include "log.h"
#include "privs.h"

#define N_CHILD 4
#define STOP_WAIT_TICKS 200   /* of 0.1 s */

enum { C_LSPAWN, C_RSPAWN, C_CLEAN, C_SEND };
static const char *const names[N_CHILD] = { "yubin-lspawn", "yubin-rspawn", "yubin-clean", "yubin-send" };
static volatile sig_atomic_t got_term, got_alrm, got_hup;
static void on_term(int s) { (void)s; got_term = 1; }
static void on_alrm(int s) { (void)s; got_alrm = 1; }
static void on_hup(int s) { (void)s; got_hup = 1; }
static void on_chld(int s) { (void)s; }

/* a pipe with both ends at 10 or above, close-on-exec */
static void high_pipe(int p[2])
{
  int t[2], i;
  if (pipe(t) != 0) die_sys(111, "unable to create a pipe");
  for (i = 0; i < 2; i++) {
    p[i] = fcntl(t[i], F_DUPFD_CLOEXEC, 10);
    if (p[i] < 0) die_sys(111, "unable to move a pipe");
    close(t[i]);
  }
}

static pid_t spawn(int which, uid_t uid, gid_t gid, const int *from, const int *to, int nfd, pid_t parent)
{
  char prog[INSTANCE_PATH_MAX];
  pid_t pid;
  int i;
  if (!instance_path(prog, sizeof prog, "bin/")) die(111, "instance path too long");
  if (strlen(prog) + strlen(names[which]) >= sizeof prog) die(111, "instance path too long");
  strcat(prog, names[which]);
  pid = fork();
  if (pid < 0) die_sys(111, "unable to fork");
  if (pid) return pid;
  {
    char *argv[] = { prog, NULL };
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGTERM, SIG_DFL); signal(SIGALRM, SIG_DFL); signal(SIGHUP, SIG_DFL); signal(SIGCHLD, SIG_DFL);
    for (i = 0; i < nfd; i++)
      if (dup2(from[i], to[i]) < 0) die_sys(111, "unable to set up descriptors for %s", names[which]);
    if (which != C_SEND) close(3);
    if (!privs_drop(uid, gid)) die_sys(111, "unable to drop privileges for %s", names[which]);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die_sys(111, "unable to set the parent-death signal");
    if (getppid() != parent) _exit(111);
    execv(prog, argv);
    die_sys(111, "unable to run %s", prog);
  }
}

int main(int argc, char **argv)
{
  int ls_in[2], ls_out[2], rs_in[2], rs_out[2], cl_in[2], cl_out[2];
  uid_t ru, qu, su; gid_t rg, qg, sg;
  pid_t pids[N_CHILD], parent = getpid();
  struct sigaction sa;
  sigset_t blk, old;
  int alive = N_CHILD, stopping = 0, i, rc = 111;
  unsigned waited = 0;
  (void)argv;

  log_init("yubin-start");
  if (argc != 1) die(100, "usage: yubin-start");
  if (instance_is_root()) {
    if (privs_user(YUBIN_USER_REMOTE, &ru, &rg) != 1) die_sys(111, "unknown user %s", YUBIN_USER_REMOTE);
    if (privs_user(YUBIN_USER_QUEUE, &qu, &qg) != 1) die_sys(111, "unknown user %s", YUBIN_USER_QUEUE);
    if (privs_user(YUBIN_USER_SEND, &su, &sg) != 1) die_sys(111, "unknown user %s", YUBIN_USER_SEND);
  } else {
    ru = qu = su = getuid();
    rg = qg = sg = getgid();
    log_info("not running as root: every delivery program runs as uid %u", (unsigned)su);
  }
  if (fcntl(3, F_GETFD) < 0) {   /* no s6 notification: keep fd 3 taken */
    int n = open("/dev/null", O_WRONLY);
    if (n >= 0 && n != 3) { dup2(n, 3); close(n); }
  }
  high_pipe(ls_in); high_pipe(ls_out); high_pipe(rs_in); high_pipe(rs_out);
  high_pipe(cl_in); high_pipe(cl_out);

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term; sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = on_alrm; sigaction(SIGALRM, &sa, NULL);
  sa.sa_handler = on_hup; sigaction(SIGHUP, &sa, NULL);
  sa.sa_handler = on_chld; sa.sa_flags = SA_NOCLDSTOP; sigaction(SIGCHLD, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  sigemptyset(&blk);
  sigaddset(&blk, SIGTERM); sigaddset(&blk, SIGALRM); sigaddset(&blk, SIGHUP); sigaddset(&blk, SIGCHLD);
  sigprocmask(SIG_BLOCK, &blk, &old);

  {
    int f[2] = { ls_in[0], ls_out[1] }, t[2] = { 0, 1 };
    pids[C_LSPAWN] = spawn(C_LSPAWN, instance_is_root() ? 0 : su, instance_is_root() ? 0 : sg, f, t, 2, parent);
  }
  {
    int f[2] = { rs_in[0], rs_out[1] }, t[2] = { 0, 1 };
    pids[C_RSPAWN] = spawn(C_RSPAWN, ru, rg, f, t, 2, parent);
  }
  {
    int f[2] = { cl_in[0], cl_out[1] }, t[2] = { 0, 1 };
    pids[C_CLEAN] = spawn(C_CLEAN, qu, qg, f, t, 2, parent);
  }
  {
    int f[6] = { ls_in[1], ls_out[0], rs_in[1], rs_out[0], cl_in[1], cl_out[0] };
    int t[6] = { 4, 5, 6, 7, 8, 9 };
    pids[C_SEND] = spawn(C_SEND, su, sg, f, t, 6, parent);
  }
  close(3);
  close(ls_in[0]); close(ls_in[1]); close(ls_out[0]); close(ls_out[1]);
  close(rs_in[0]); close(rs_in[1]); close(rs_out[0]); close(rs_out[1]);
  close(cl_in[0]); close(cl_in[1]); close(cl_out[0]); close(cl_out[1]);

  while (alive > 0) {
    pid_t p;
    int st;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
      for (i = 0; i < N_CHILD; i++) {
        if (pids[i] != p) continue;
        pids[i] = 0;
        alive--;
        if (WIFSIGNALED(st)) log_info("%s killed by signal %d", names[i], WTERMSIG(st));
        else log_info("%s exited %d", names[i], WEXITSTATUS(st));
        if (!stopping) {
          log_warn("a delivery program ended; stopping the group so it restarts");
          stopping = 1;
          if (pids[C_SEND]) kill(pids[C_SEND], SIGTERM);
        }
      }
    }
    if (alive == 0) break;
    if (got_term) {
      got_term = 0;
      if (!stopping) { stopping = 1; rc = 0; }
      if (pids[C_SEND]) kill(pids[C_SEND], SIGTERM);
    }
    if (got_alrm) { got_alrm = 0; if (pids[C_SEND]) kill(pids[C_SEND], SIGALRM); }
    if (got_hup) { got_hup = 0; if (pids[C_SEND]) kill(pids[C_SEND], SIGHUP); }
    if (stopping) {
      /* the helpers end when yubin-send's pipes close; do not wait forever */
      struct timespec ts = { 0, 100000000 };
      sigset_t w = old;
      (void)w;
      sigprocmask(SIG_SETMASK, &old, NULL);
      nanosleep(&ts, NULL);
      sigprocmask(SIG_BLOCK, &blk, NULL);
      if (++waited >= STOP_WAIT_TICKS) break;
    } else {
      sigsuspend(&old);
    }
  }
  if (rc == 0) log_info("stopped");
  return rc;   /* any child still running gets SIGKILL from its parent-death signal */
}
