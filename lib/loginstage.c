#include "loginstage.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "authrun.h"
#include "control.h"
#include "ipstate.h"
#include "log.h"
#include "privs.h"
#include "starttls.h"

void loginstage_init(loginstage *ls, const char *service, const char *timeout_file,
                     unsigned long timeout_default, char *buf, size_t size)
{
  const char *e;
  char p[INSTANCE_PATH_MAX];
  uid_t uid;
  gid_t gid;

  memset(ls, 0, sizeof *ls);
  ls->service = service;
  signal(SIGPIPE, SIG_IGN);
  strcpy(ls->ip, "unknown");
  e = getenv("TCPREMOTEIP");
  if (e) log_safe(e, ls->ip, sizeof ls->ip);
  ls->tls = (e = getenv("TLS")) != 0 && !strcmp(e, "1");
  ls->timeout = control_ulong_or(timeout_file, timeout_default, 10, 86400);
  ls->pbs_minutes = control_ulong_or("popbeforesmtp", 10, 0, 10080);
  if (instance_path(p, sizeof p, "control/plainloopback")) ls->plain_loopback = access(p, F_OK) == 0;
  if (!instance_path(ls->auth, sizeof ls->auth, "bin/yubin-auth")) die(111, "instance path too long");
  if (instance_is_root()) {
    if (privs_user(YUBIN_USER_DAEMON, &uid, &gid) != 1) die_sys(111, "unable to find user %s", YUBIN_USER_DAEMON);
    if (!privs_drop(uid, gid)) die_sys(111, "unable to drop privileges");
  }
  lb_init(&ls->lb, 0, buf, size, (int)(ls->timeout * 1000));
}

static int loopback(const char *ip)
{
  return !strncmp(ip, "127.", 4) || !strcmp(ip, "::1") || !strncmp(ip, "::ffff:127.", 11);
}

int loginstage_plain_ok(const loginstage *ls)
{
  return ls->tls || (ls->plain_loopback && loopback(ls->ip));
}

static void sleep_ms(unsigned long ms)
{
  struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) ;
}

int loginstage_login(loginstage *ls, const char *user, const char *pass, void (*accepted)(void *),
                     void *arg)
{
  char safe[ADDR_MAX + 1];
  int ipok = ipstate_ip_ok(ls->ip), pid = 0, input = -1, r, st, null;
  unsigned long fails;
  long me = (long)getpid();

  log_safe(user, safe, sizeof safe);
  if (ipok && authfail_count(ls->ip, LOGIN_AUTHFAIL_WINDOW) >= LOGIN_AUTHFAIL_LOCKOUT) {
    log_info("%ld login refused ip=%s user=%s reason=too-many-failures", me, ls->ip, safe);
    return LOGIN_REFUSED;
  }
  r = authrun(ls->auth, ls->service, user, pass, &pid, &input);
  switch (r) {
  case AUTHRUN_OK:
    /* the session program has the mailbox and waits for the pipelined
     * input: the IP is recorded before the client can know it is in */
    if (ipok) {
      authfail_clear(ls->ip);
      if (ls->pbs_minutes && !pbs_record(ls->ip)) warn_sys("unable to record POP-before-SMTP for %s", ls->ip);
    }
    if (accepted) accepted(arg);
    authrun_handover(input, ls->lb.buf + ls->lb.start, lb_pending(&ls->lb));
    null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      if (null > 1) close(null);
    }
    if (ipok && ls->pbs_minutes) pbs_clean(ls->pbs_minutes);
    log_info("%ld login ok ip=%s user=%s tls=%d", me, ls->ip, safe, ls->tls);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) ;
    exit(0);
  case AUTHRUN_IN_USE:
    log_info("%ld login in-use ip=%s user=%s", me, ls->ip, safe);
    return LOGIN_IN_USE;
  case AUTHRUN_BAD:
  case AUTHRUN_DISABLED:
    fails = ipok ? authfail_add(ls->ip, LOGIN_AUTHFAIL_WINDOW) : 1;
    log_info("%ld login failed ip=%s user=%s reason=%s failures=%lu", me, ls->ip, safe,
             r == AUTHRUN_DISABLED ? "disabled" : "credentials", fails);
    sleep_ms(authfail_delay_ms(fails));
    return r == AUTHRUN_DISABLED ? LOGIN_DISABLED : LOGIN_BAD;
  default:
    log_info("%ld login temporary-failure ip=%s user=%s", me, ls->ip, safe);
    return LOGIN_TEMP;
  }
}

void loginstage_starttls(loginstage *ls, const char *reply, size_t n)
{
  if (!starttls_begin(&ls->lb, reply, n)) {
    log_info("%ld tls handshake failed ip=%s", (long)getpid(), ls->ip);
    exit(0);
  }
  ls->tls = 1;
}

void loginstage_response(loginstage *ls, const char **s, size_t *n)
{
  const char *l;
  size_t len;
  if (lb_getline(&ls->lb, &l, &len) != 1) exit(0);
  if (len && l[len - 1] == '\n') len--;
  if (len && l[len - 1] == '\r') len--;
  *s = l;
  *n = len;
}

int loginstage_plain(const char *b64, size_t n, unsigned char *dec, size_t size, const char **user,
                     const char **pass)
{
  size_t dl = 0;
  const char *end;
  const unsigned char *p1, *p2;

  if (size == 0) return PLAIN_MALFORMED;
  if (n == 1 && b64[0] == '*') return PLAIN_CANCELLED;
  if (n == 1 && b64[0] == '=') n = 0;
  if (sodium_base642bin(dec, size - 1, b64, n, 0, &dl, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != b64 + n)
    return PLAIN_BASE64;
  dec[dl] = 0;
  /* authzid NUL authcid NUL password, with no other NUL */
  p1 = memchr(dec, 0, dl);
  p2 = p1 ? memchr(p1 + 1, 0, dl - (size_t)(p1 + 1 - dec)) : 0;
  if (!p2 || p2 == p1 + 1 || memchr(p2 + 1, 0, dl - (size_t)(p2 + 1 - dec))) return PLAIN_MALFORMED;
  if (dec[0] && strcmp((const char *)dec, (const char *)p1 + 1) != 0) return PLAIN_PROXY;
  if ((size_t)(p2 - (p1 + 1)) > ADDR_MAX) return PLAIN_TOO_LONG;
  *user = (const char *)p1 + 1;
  *pass = (const char *)p2 + 1;
  return PLAIN_OK;
}
