/* yubin-remote: one delivery attempt of one message to one destination
 * domain.  Interface: doc/spawn.md and remote/README.md. */
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "atomic.h"
#include "control.h"
#include "deliver.h"
#include "dns.h"
#include "instance.h"
#include "log.h"
#include "privs.h"
#include "route.h"
#include "smtp.h"
#include "wire.h"

#define MESSAGE_MAX ((size_t)64 << 20)
#define CA_BUNDLE_DEFAULT "/etc/ssl/certs/ca-certificates.crt"

static const char *kind_name[] = { "temp", "ok", "temp", "perm" };

static int read_message(sa *msg)
{
  msg->cap = MESSAGE_MAX;
  for (;;) {
    ssize_t r;
    if (!sa_ready(msg, msg->len + 65536)) return 0;
    r = read(0, msg->s + msg->len, 65536);
    if (r < 0) { if (errno == EINTR) continue; return 0; }
    if (r == 0) return 1;
    msg->len += (size_t)r;
  }
}

/* Relay passwords must be readable by yubinr alone (remote/README.md). */
static void check_relayauth_mode(const char *qid)
{
  char path[INSTANCE_PATH_MAX];
  struct stat st;
  if (!instance_path(path, sizeof path, "control/relayauth") || stat(path, &st) != 0) return;
  if (st.st_mode & 077) log_warn("%s control/relayauth is readable by others than its owner (mode %03o)", qid, (unsigned)(st.st_mode & 0777));
}

static void lines_or_empty(const char *name, sa *out, size_t *count, delivery *d)
{
  if (control_readlines(name, out, count) < 0) {
    char text[160];
    snprintf(text, sizeof text, "4.3.5 unable to read control/%s: %s", name, strerror(errno));
    log_warn("%s %s", d->qid, text);
    for (size_t i = 0; i < d->nrcpt; i++) if (!d->res[i].kind) result_set(d, i, RES_TEMP, "-", text);
    *count = 0;
  }
}

int main(int argc, char **argv)
{
  delivery d;
  settings s;
  route rt;
  sa msg = SA_ZERO, data = SA_ZERO, routes = SA_ZERO, tlsd = SA_ZERO, auth = SA_ZERO, ca = SA_ZERO;
  size_t nroutes = 0, i;
  unsigned long t_connect, t_cmd, t_dns;
  uid_t uid;
  gid_t gid;
  const char *why;
  char safe[512];
  int rr;

  log_init(argv[0]);
  signal(SIGPIPE, SIG_IGN);   /* a server that hangs up is an error to report, not our end */
  if (argc < 5) die(100, "usage: yubin-remote QUEUEID DOMAIN SENDER RECIPIENT...");
  memset(&d, 0, sizeof d);
  d.qid = argv[1];
  d.sender = argv[3];
  d.rcpts = argv + 4;
  d.nrcpt = (size_t)argc - 4;
  if (strlen(d.qid) > 64 || strpbrk(argv[2], "\t\n\r") || strlen(argv[2]) > ADDR_DOMAIN_MAX + 2)
    die(100, "bad queue id or domain");
  d.res = calloc(d.nrcpt, sizeof *d.res);
  if (!d.res || sodium_init() < 0) die(111, "out of memory");
  for (i = 0; i < d.nrcpt; i++) {
    addr a;
    if (strpbrk(d.rcpts[i], "\t\n\r") || !addr_parse_mailbox(d.rcpts[i], strlen(d.rcpts[i]), ADDR_UTF8, &a, &why)) {
      result_set(&d, i, RES_PERM, "-", "5.1.3 bad recipient address syntax");
      continue;
    }
    if (a.utf8) d.need_utf8 = 1;
  }
  if (d.sender[0]) {
    addr a;
    if (!addr_parse_mailbox(d.sender, strlen(d.sender), ADDR_UTF8, &a, &why))
      for (i = 0; i < d.nrcpt; i++) result_set(&d, i, RES_PERM, "-", "5.1.7 bad sender address syntax");
    else if (a.utf8) d.need_utf8 = 1;
  }

  /* Privileges: yubinr (rspawn already runs as it; a root caller is dropped). */
  if (privs_user(YUBIN_USER_REMOTE, &uid, &gid) != 1) die_sys(111, "unable to find user " YUBIN_USER_REMOTE);
  if (!privs_drop(uid, gid)) die_sys(111, "unable to drop privileges");

  /* Control files. */
  memset(&s, 0, sizeof s);
  s.port = (unsigned)control_ulong_or("smtpport", 25, 1, 65535);
  t_connect = control_ulong_or("timeoutconnect", 60, 1, 3600);
  t_cmd = control_ulong_or("timeoutremote", 300, 1, 3600);
  t_dns = control_ulong_or("timeoutdns", 30, 1, 600);
  d.timeout_connect_ms = (int)(t_connect * 1000);
  d.timeout_cmd_ms = (int)(t_cmd * 1000);
  d.timeout_dataend_ms = (int)(t_cmd * 2000);
  d.helo = control_me();
  lines_or_empty("smtproutes", &routes, &nroutes, &d);
  lines_or_empty("tlsdestinations", &tlsd, &s.tls_count, &d);
  lines_or_empty("relayauth", &auth, &s.auth_count, &d);
  if (s.auth_count) check_relayauth_mode(d.qid);
  s.tls_lines = tlsd.s ? tlsd.s : "";
  s.auth_lines = auth.s ? auth.s : "";
  rr = route_find(routes.s ? routes.s : "", nroutes, argv[2], &rt);
  if (rr < 0) {
    log_warn("%s control/smtproutes has a malformed line for %s", d.qid, log_safe(argv[2], safe, sizeof safe));
    for (i = 0; i < d.nrcpt; i++) if (!d.res[i].kind) result_set(&d, i, RES_TEMP, "-", "4.3.5 control/smtproutes has a malformed line for this domain");
  }
  if (control_readline("tlsclientca", &ca) != 1 || ca.len == 0) { sa_copys(&ca, CA_BUNDLE_DEFAULT); sa_0(&ca); }
  s.ca_path = ca.s;

  /* The message. */
  if (!read_message(&msg) || !wire_encode_data(msg.s ? msg.s : "", msg.len, &data)) {
    int e = errno;
    for (i = 0; i < d.nrcpt; i++)
      if (!d.res[i].kind) result_set(&d, i, e == ERANGE ? RES_PERM : RES_TEMP, "-",
                                     e == ERANGE ? "5.3.4 message too large for remote delivery"
                                                 : "4.3.0 unable to read the message");
  }
  d.data = &data;
  d.msgsize = data.len >= 3 ? data.len - 3 : 0;
  d.eightbit = wire_has_8bit(msg.s ? msg.s : "", msg.len);
  sa_free(&msg);

  /* The delivery. */
  if (!dns_init((int)(t_dns * 1000), &why)) {
    char text[200];
    snprintf(text, sizeof text, "4.4.3 DNS resolver setup failed: %s", why);
    for (i = 0; i < d.nrcpt; i++) if (!d.res[i].kind) result_set(&d, i, RES_TEMP, "-", text);
  }
  for (i = 0; i < d.nrcpt; i++) if (!d.res[i].kind) break;
  if (i < d.nrcpt) deliver(&d, argv[2], rr > 0 ? &rt : NULL, &s);
  dns_done();
  sodium_memzero(auth.s, auth.a);

  /* The report: one line per recipient, in argv order. */
  for (i = 0; i < d.nrcpt; i++) {
    rcpt_result *r = &d.res[i];
    sa line = SA_ZERO;
    char safe2[256];
    if (!r->kind) result_set(&d, i, RES_TEMP, "-", "4.3.0 no result");
    if (!sa_cats(&line, kind_name[r->kind]) || !sa_catc(&line, '\t') || !sa_cats(&line, d.rcpts[i])
        || !sa_catc(&line, '\t') || !sa_cats(&line, r->host) || !sa_catc(&line, '\t')
        || !sa_catb(&line, r->text.s, r->text.len) || !sa_catc(&line, '\n'))
      die(111, "out of memory");
    log_info("%s delivery to=<%s> result=%s host=%s text=\"%s\"", d.qid, log_safe(d.rcpts[i], safe2, sizeof safe2),
             kind_name[r->kind], r->host, log_safe(r->text.s, safe, sizeof safe));
    if (!write_all(1, line.s, line.len)) die_sys(111, "unable to write the report");
    sa_free(&line);
  }
  for (i = 0; i < d.nrcpt; i++) sa_free(&d.res[i].text);
  free(d.res);
  sa_free(&data);
  sa_free(&routes);
  sa_free(&tlsd);
  sa_free(&auth);
  sa_free(&ca);
  return 0;
}
