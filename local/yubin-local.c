/* yubin-local: one local delivery (local/README.md, doc/spawn.md).
 *   yubin-local QUEUEID SENDER RECIPIENT
 * Run by yubin-lspawn as the account's user, in the account's home, with the
 * message on fd 0.  Writes one status line on fd 1; exits 0, 100 or 111. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "addr.h"
#include "atomic.h"
#include "control.h"
#include "dotfile.h"
#include "local.h"
#include "log.h"

static const char *qid = "-";

static _Noreturn void finish(const result *r)
{
  char line[LOCAL_TEXT_MAX + 2];
  int n = snprintf(line, sizeof line, "%s\n", r->text);
  if (n > 0) (void)write_all(1, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
  log_info("%s end result=%s status=\"%s\"", qid,
           r->code == RES_OK ? "ok" : r->code == RES_PERM ? "perm" : "temp", r->text);
  exit(r->code == RES_OK ? 0 : r->code == RES_PERM ? 100 : 111);
}

static int printable(const char *s)
{
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) return 0;
  return 1;
}

/* Lower-cases RECIPIENT into rcpt and splits it at its last '@'. */
static int split_rcpt(const char *arg, char *rcpt, char *local, char *host)
{
  size_t n = strlen(arg), ll;
  const char *at = strrchr(arg, '@');
  if (n > ADDR_MAX || !at || at == arg || !at[1] || !printable(arg)) return 0;
  ll = (size_t)(at - arg);
  if (ll > ADDR_LOCAL_MAX || n - ll - 1 > ADDR_DOMAIN_MAX) return 0;
  addr_lower(rcpt, arg, n);
  rcpt[n] = 0;
  memcpy(local, rcpt, ll);
  local[ll] = 0;
  memcpy(host, rcpt + ll + 1, n - ll);
  return 1;
}

int main(int argc, char **argv)
{
  static char rcpt[ADDR_MAX + 1], local[ADDR_LOCAL_MAX + 1], host[ADDR_DOMAIN_MAX + 1], rpline[ADDR_MAX + 32], dtline[ADDR_MAX + 32], home[4096], name[128];
  static dotfile_line lines[DOTFILE_DELIVERIES_MAX];
  static char targets[64 << 10];
  accounts_db db;
  acct_entry e;
  result r = { RES_TEMP, "4.3.0 internal error" };
  sa head = SA_ZERO, file = SA_ZERO;
  size_t nlines = 0;
  dotfile_error derr;
  job j;
  int got;

  log_init(argv[0]);
  if (argc != 4 || strlen(argv[1]) > 64 || !printable(argv[1])) {
    result_set(&r, RES_PERM, "5.3.5 usage: yubin-local QUEUEID SENDER RECIPIENT");
    finish(&r);
  }
  qid = argv[1];
  if (!split_rcpt(argv[3], rcpt, local, host) || strlen(argv[2]) > ADDR_MAX || !printable(argv[2])) {
    result_set(&r, RES_PERM, "5.1.3 bad sender or recipient address");
    finish(&r);
  }

  memset(&j, 0, sizeof j);
  j.qid = qid;
  j.sender = argv[2];
  j.maxforwards = control_ulong_or("maxforwards", 10, 0, DOTFILE_DELIVERIES_MAX);
  j.timeout = (unsigned)control_ulong_or("timeoutlocal", 600, 1, 86400);
  if (!getcwd(home, sizeof home)) { result_sys(&r, "getcwd", errno); finish(&r); }
  j.home = home;

  got = accounts_open(&db, 0);
  if (got < 0) { result_sys(&r, "unable to open the accounts database", errno); finish(&r); }
  if (accounts_resolve(&db, local, host, &e) < 0) {
    result_sys(&r, "unable to read the accounts database", errno);
    finish(&r);
  }
  j.local = local;
  j.host = host;
  j.rcpt = rcpt;
  j.ext = e.ext;
  j.user = e.account;
  snprintf(rpline, sizeof rpline, "Return-Path: <%s>\n", j.sender);
  snprintf(dtline, sizeof dtline, "Delivered-To: %s\n", rcpt);
  j.rpline = rpline;
  j.dtline = dtline;
  if (e.kind == ACCT_NONE) {
    result_set(&r, RES_PERM, "5.1.1 sorry, no mailbox here by that name");
    finish(&r);
  }

  /* A message that was already delivered to this address is in a loop. */
  if (!msg_head(&head, LOCAL_HEADER_SCAN_MAX)) { result_sys(&r, "unable to read the message", errno); finish(&r); }
  if (header_has_delivered_to(head.s, head.len, rcpt)) {
    result_set(&r, RES_PERM, "5.4.6 this message is looping: it already has my Delivered-To line");
    finish(&r);
  }
  sa_free(&head);

  if (e.kind == ACCT_ALIAS) {
    size_t count = 0;
    got = accounts_alias_targets(&db, &e, targets, sizeof targets, &count);
    if (got < 0) { result_sys(&r, "unable to read the alias", errno); finish(&r); }
    if (got == 0) { result_set(&r, RES_PERM, "5.1.1 sorry, this alias has no targets"); finish(&r); }
    run_forward(&j, targets, count, &r);
    finish(&r);
  }
  accounts_close(&db);

  got = cascade_find(e.ext, e.via_subdomain, name, sizeof name, &file, &r);
  if (got < 0) finish(&r);
  if (got == 0 && e.ext[0] && !e.via_subdomain) {
    result_set(&r, RES_PERM, "5.1.1 sorry, no mailbox here by that name");
    finish(&r);
  }
  if (got == 1 && !dotfile_parse(file.s, file.len, lines, DOTFILE_DELIVERIES_MAX, &nlines, &derr)) {
    /* A typo must not bounce mail: the message waits until it is fixed. */
    result_set(&r, RES_TEMP, "4.3.5 %s line %zu: %s", name, derr.lineno, derr.why);
    log_warn("%s file=%s line=%zu error=\"%s\"", qid, name, derr.lineno, derr.why);
    finish(&r);
  }
  if (nlines == 0) {
    /* No control file, or one with no delivery line: the default Maildir. */
    static const char dflt[] = "./Maildir/";
    lines[0].type = DOT_MAILDIR;
    lines[0].arg = dflt;
    lines[0].len = sizeof dflt - 1;
    lines[0].lineno = 0;
    nlines = 1;
    snprintf(name, sizeof name, "(default)");
  }
  run_lines(&j, name, lines, nlines, &r);
  finish(&r);
}
