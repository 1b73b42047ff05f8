/* yubin-smtpd: the SMTP server for one session on stdin/stdout.
 * Runs under yubin-tcpd (or ucspi-tcp's tcpserver) as yubind, or on a local
 * user's terminal for `sendmail -bs` (PROTO=LOCAL).  See smtpd/README.md. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "instance.h"
#include "ipstate.h"
#include "log.h"
#include "privs.h"
#include "rcpt.h"
#include "session.h"

#define HOST_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"

static session sess;   /* large buffers: not on the stack */

static const char *env_or(const char *name, const char *dflt)
{
  const char *v = getenv(name);
  return v ? v : dflt;
}

int main(int argc, char **argv)
{
  static session_config cf;
  static rcpt_policy policy;   /* lives as long as the process */
  const char *proto;

  log_init(argv[0]);
  if (argc == 2 && strcmp(argv[1], "-C") == 0) {
    if (!rcpt_compile_more()) die_sys(111, "unable to compile control/morercpthosts.cdb");
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "-r") == 0) {
    if (strcmp(argv[2], "smtp") == 0) cf.role = ROLE_SMTP;
    else if (strcmp(argv[2], "submission") == 0) cf.role = ROLE_SUBMISSION;
    else if (strcmp(argv[2], "smtps") == 0) cf.role = ROLE_SMTPS;
    else die(100, "usage: yubin-smtpd [-r smtp|submission|smtps] | yubin-smtpd -C");
  } else if (argc != 1) {
    die(100, "usage: yubin-smtpd [-r smtp|submission|smtps] | yubin-smtpd -C");
  }

  /* Environment: UCSPI variables, or PROTO=LOCAL for sendmail -bs. */
  proto = env_or("PROTO", "");
  cf.local = strcmp(proto, "LOCAL") == 0;
  cf.localuser = env_or("LOCALUSER", "unknown");
  cf.remoteip = cf.local ? "local" : env_or("TCPREMOTEIP", "unknown");
  cf.remoteport = env_or("TCPREMOTEPORT", "0");
  cf.remotehost = env_or("TCPREMOTEHOST", "");
  cf.localip = env_or("TCPLOCALIP", "");
  cf.relayclient = getenv("RELAYCLIENT") != NULL;
  cf.tls = getenv("TLS") != NULL;
  if (!cf.local && strlen(cf.remoteip) > 45) cf.remoteip = "unknown";
  if (strlen(cf.remotehost) > 255 || strspn(cf.remotehost, HOST_CHARS) != strlen(cf.remotehost)) cf.remotehost = "";
  if (cf.local && strlen(cf.localuser) > 64) cf.localuser = "unknown";

  /* Control files. */
  cf.me = control_me();
  cf.databytes = control_ulong_or("databytes", 52428800UL, 0, 1UL << 40);
  cf.maxrcpt = control_ulong_or("maxrcpt", 100, 1, 100000);
  cf.timeout_ms = (int)control_ulong_or("timeoutsmtpd", 300, 1, 86400) * 1000;
  cf.greetdelay_ms = (int)control_ulong_or("greetdelay", 300, 0, 60000);
  /* POP-before-SMTP: a recent POP3/IMAP login from this address may relay. */
  if (!cf.relayclient && !cf.local &&
      pbs_allowed(cf.remoteip, control_ulong_or("popbeforesmtp", 10, 0, 1440)) == 1)
    cf.relayclient = cf.popbeforesmtp = 1;
  /* Sender policy: control/senderpolicy 1 or 0; absent, on for submission. */
  {
    unsigned long sp = control_ulong_or("senderpolicy", 2, 0, 2);
    cf.senderpolicy = sp == 2 ? cf.role != ROLE_SMTP : (int)sp;
  }
  /* PLAIN and LOGIN outside TLS only from loopback, and only when allowed. */
  {
    sa tmp = SA_ZERO;
    int loop = !strncmp(cf.remoteip, "127.", 4) || !strcmp(cf.remoteip, "::1");
    cf.authplaintext = loop && control_readfile("plainloopback", &tmp) == 1;
    sa_free(&tmp);
  }
  {
    static char authprog[INSTANCE_PATH_MAX];
    if (instance_path(authprog, sizeof authprog, "bin/yubin-auth") && access(authprog, X_OK) == 0)
      cf.authprog = authprog;
  }
  if (!rcpt_policy_load(&policy)) die_sys(111, "unable to read control/rcpthosts or the accounts database");

  /* Started as root (tcpserver without -u): become yubind. */
  if (instance_is_root()) {
    uid_t uid;
    gid_t gid;
    if (privs_user(YUBIN_USER_DAEMON, &uid, &gid) != 1) die_sys(111, "unable to find user " YUBIN_USER_DAEMON);
    if (!privs_drop(uid, gid)) die_sys(111, "unable to drop privileges");
  }
  signal(SIGPIPE, SIG_IGN);

  session_run(&sess, &cf, &policy, 0, 1);
  return 0;
}
