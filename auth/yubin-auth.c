/* yubin-auth: checks one login's credentials and, for POP3 and IMAP, starts
 * the mail session as the account.
 *
 *   yubin-auth check|pop3|imap
 *
 * The credentials arrive on fd 3 as one record (at most AUTH_RECORD_MAX bytes):
 *   PLAIN \0 address \0 password \0
 *   CRAM-MD5 \0 address \0 challenge \0 response-hex \0
 * Installed setuid root, executable only by group yubind (mode 4750): the
 * login stages (yubind) run it; nothing else can.  It trusts nothing from its
 * caller but that record and a few sanitised UCSPI/TLS variables: the program
 * it starts is fixed (ROOT/bin/yubin-pop3d or ROOT/bin/yubin-imapd).
 * check: on success writes the canonical address and "\n" on fd 1.
 * pop3/imap: on success drops to the account's uid and gid, changes to its
 * home and runs the session program with USER, HOME, MAILDIR set.
 * Exit: 0 ok (check), 1 wrong credentials, 2 account disabled, 100 usage,
 * 111 temporary failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "accounts.h"
#include "instance.h"
#include "log.h"
#include "privs.h"
#include "pwcheck.h"

#define AUTH_RECORD_MAX 2048

static const char *const keep_env[] = {
  "PROTO", "TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT",
  "TLS", "TLS_PROTOCOL", "TLS_CIPHER", "TLS_SNI", 0
};

static char record[AUTH_RECORD_MAX + 1];

/* Splits the record into exactly want NUL-terminated fields. */
static int fields(size_t len, const char **f, size_t want)
{
  size_t i, start = 0, nf = 0;
  if (len == 0 || record[len - 1] != 0) return 0;
  for (i = 0; i < len; i++) {
    if (record[i] == 0) {
      if (nf == want) return 0;
      f[nf++] = record + start;
      start = i + 1;
    }
  }
  return nf == want;
}

/* Rebuilds a minimal environment from the allowed, printable variables. */
static void clean_env(void)
{
  char saved[10][300];
  const char *names[10];
  size_t n = 0, i;
  for (i = 0; keep_env[i] && n < 10; i++) {
    const char *v = getenv(keep_env[i]);
    size_t k, l;
    if (!v) continue;
    l = strlen(v);
    if (l >= sizeof saved[0]) continue;
    for (k = 0; k < l; k++) if ((unsigned char)v[k] < 0x20 || (unsigned char)v[k] >= 0x7f) break;
    if (k < l) continue;
    memcpy(saved[n], v, l + 1);
    names[n++] = keep_env[i];
  }
  clearenv();
  for (i = 0; i < n; i++) setenv(names[i], saved[i], 1);
  setenv("PATH", "/usr/bin:/bin", 1);
}

int main(int argc, char **argv)
{
  const char *f[4];
  char canon[ADDR_MAX + 1], ipbuf[64], who[ADDR_MAX + 1];
  size_t len = 0;
  int mode, r, stale;

  log_init(argv[0]);
  if (argc != 2) die(100, "usage: yubin-auth check|pop3|imap");
  if (!strcmp(argv[1], "check")) mode = 0;
  else if (!strcmp(argv[1], "pop3")) mode = 1;
  else if (!strcmp(argv[1], "imap")) mode = 2;
  else die(100, "usage: yubin-auth check|pop3|imap");
  clean_env();
  if (sodium_init() < 0) die(111, "unable to initialise libsodium");

  for (;;) {
    ssize_t got = read(3, record + len, AUTH_RECORD_MAX + 1 - len);
    if (got < 0) { if (errno == EINTR) continue; die_sys(111, "unable to read credentials"); }
    if (got == 0) break;
    len += (size_t)got;
    if (len > AUTH_RECORD_MAX) die(1, "credential record too long");
  }
  close(3);
  log_safe(getenv("TCPREMOTEIP"), ipbuf, sizeof ipbuf);

  if (fields(len, f, 3) && !strcmp(f[0], "PLAIN")) {
    r = pwcheck_plain(f[1], f[2], strlen(f[2]), canon, sizeof canon);
  } else if (fields(len, f, 4) && !strcmp(f[0], "CRAM-MD5")) {
    r = pwcheck_cram(f[1], f[2], strlen(f[2]), f[3], canon, sizeof canon);
  } else {
    sodium_memzero(record, sizeof record);
    die(1, "malformed credential record");
  }
  log_safe(f[1], who, sizeof who);
  sodium_memzero(record, sizeof record);
  if (r == PWCHECK_TEMP) die(111, "unable to read the password database");
  if (r != PWCHECK_OK && r != PWCHECK_OK_STALE) {
    log_info("auth failed ip=%s user=%s", ipbuf, who);
    return 1;
  }
  stale = r == PWCHECK_OK_STALE;

  {
    accounts_db db;
    acct_entry e;
    char *at = strrchr(canon, '@');
    char maildir[ACCT_HOME_MAX + 16], bin[INSTANCE_PATH_MAX];
    if (!at) return 1;
    if (accounts_open(&db, 0) != 1) die(111, "unable to open the accounts database");
    *at = 0;
    r = accounts_resolve(&db, canon, at + 1, &e);
    *at = '@';
    accounts_close(&db);
    if (r < 0) die(111, "unable to read the accounts database");
    if (e.kind != ACCT_ACCOUNT || e.ext[0]) return 1;
    if (e.disabled) { log_info("auth refused ip=%s user=%s reason=disabled", ipbuf, canon); return 2; }
    log_info("auth ok ip=%s user=%s service=%s%s", ipbuf, canon, argv[1],
             stale ? " hash=stale" : "");
    if (mode == 0) {
      printf("%s\n", canon);
      return fflush(stdout) == 0 ? 0 : 111;
    }
    if (!privs_drop(e.uid, e.gid)) die_sys(111, "unable to drop privileges for %s", canon);
    if (chdir(e.home) != 0) die_sys(111, "unable to enter the home of %s", canon);
    snprintf(maildir, sizeof maildir, "%s/Maildir", e.home);
    setenv("USER", canon, 1);
    setenv("HOME", e.home, 1);
    setenv("MAILDIR", maildir, 1);
    if (!instance_path(bin, sizeof bin, mode == 1 ? "bin/yubin-pop3d" : "bin/yubin-imapd")) die(111, "path too long");
    execl(bin, bin, (char *)0);
    die_sys(111, "unable to run %s", bin);
  }
}
