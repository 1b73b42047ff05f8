/* yubinctl sender add|del|list: sender addresses an account may use besides
 * those of its own domain (the sender policy, smtpd/README.md).  Stored in
 * accounts/senders ("ACCOUNT ADDRESS,ADDRESS...") and compiled into S
 * records of accounts.cdb (doc/accounts.md). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "log.h"
#include "names.h"
#include "out.h"

#define SENDERS_MAX 100

static void account_arg(const char *in, char address[ADDR_MAX + 1])
{
  char name[ACCT_NAME_MAX + 1], dom[ADDR_DOMAIN_MAX + 1];
  const char *why = 0;
  if (!name_split(in, name, dom, &why)) ctl_fail(CTL_USAGE, "invalid account %s: %s", in, why);
  snprintf(address, ADDR_MAX + 1, "%s@%s", name, dom);
}

/* Does the comma list hold addr (any case)? */
static int listed(const char *list, const char *addr)
{
  size_t al = strlen(addr);
  while (*list) {
    size_t l = strcspn(list, ",");
    if (l == al && strncasecmp(list, addr, l) == 0) return 1;
    list += l;
    if (*list == ',') list++;
  }
  return 0;
}

static int change(const char *root, int argc, char **argv, int add)
{
  char account[ADDR_MAX + 1], t[ADDR_MAX + 1], line[TABLE_LINE_MAX + 1], out[TABLE_LINE_MAX + 1];
  const char *old;
  size_t len = 0, n = 0;
  int i;
  ctl_db db;
  if (argc < (add ? 2 : 1)) ctl_fail(CTL_USAGE, "usage: yubinctl sender %s ACCOUNT ADDRESS...", add ? "add" : "del");
  account_arg(argv[0], account);
  cmd_open(&db, root, 1);
  if (!table_get(&db.accounts, account)) ctl_fail(CTL_USAGE, "no account %s", account);
  {
    const trow *r = table_get(&db.senders, account);
    old = r ? r->val : "";
  }
  snprintf(line, sizeof line, "%s", old);
  if (!add && argc == 1) line[0] = 0;          /* del ACCOUNT: all of them */
  for (i = 1; i < argc; i++) {
    const char *why = 0;
    if (!name_target_ok(argv[i], t, &why)) ctl_fail(CTL_USAGE, "invalid address %s: %s", argv[i], why);
    if (add) {
      size_t tl = strlen(t), ll = strlen(line);
      if (listed(line, t)) continue;
      if (ll + tl + 2 > sizeof line) ctl_fail(CTL_USAGE, "too many sender addresses");
      if (ll) line[ll++] = ',';
      memcpy(line + ll, t, tl + 1);
    } else {
      const char *p = line;
      if (!listed(line, t)) ctl_fail(CTL_USAGE, "%s is not a sender address of %s", t, account);
      out[0] = 0;
      len = 0;
      while (*p) {
        size_t l = strcspn(p, ",");
        if (!(l == strlen(t) && strncasecmp(p, t, l) == 0)) {
          if (len) out[len++] = ',';
          memcpy(out + len, p, l);
          len += l;
          out[len] = 0;
        }
        p += l;
        if (*p == ',') p++;
      }
      memcpy(line, out, len + 1);
    }
  }
  for (const char *p = line; *p; n++) { p += strcspn(p, ","); if (*p) p++; }
  if (n > SENDERS_MAX) ctl_fail(CTL_USAGE, "an account has at most %d sender addresses", SENDERS_MAX);
  if (line[0]) { if (!table_set(&db.senders, account, line)) ctl_fail_sys(CTL_TEMP, "unable to record %s", account); }
  else table_del(&db.senders, account);
  cmd_commit(&db);
  log_info("sender %s account=%s addresses=%zu", add ? "add" : "del", account, n);
  db_close(&db);
  out_done();
  return 0;
}

static int list(const char *root, int argc, char **argv)
{
  char account[ADDR_MAX + 1] = "";
  size_t i, shown = 0;
  ctl_db db;
  if (argc > 1) ctl_fail(CTL_USAGE, "usage: yubinctl sender list [ACCOUNT]");
  if (argc == 1) account_arg(argv[0], account);
  cmd_open(&db, root, 0);
  if (out_json) fputs("[", stdout);
  for (i = 0; i < db.senders.n; i++) {
    const trow *r = &db.senders.r[i];
    if (account[0] && strcmp(r->key, account) != 0) continue;
    if (out_json) {
      fputs(shown ? ", {\"account\": " : "{\"account\": ", stdout);
      json_str(r->key);
      fputs(", \"senders\": ", stdout);
      json_csv(r->val);
      fputs("}", stdout);
    } else {
      printf("%s %s\n", r->key, r->val);
    }
    shown++;
  }
  if (out_json) puts("]");
  db_close(&db);
  return 0;
}

int cmd_sender(const char *root, int argc, char **argv)
{
  if (argc >= 1 && !strcmp(argv[0], "add")) return change(root, argc - 1, argv + 1, 1);
  if (argc >= 1 && !strcmp(argv[0], "del")) return change(root, argc - 1, argv + 1, 0);
  if (argc >= 1 && !strcmp(argv[0], "list")) return list(root, argc - 1, argv + 1);
  ctl_fail(CTL_USAGE, "usage: yubinctl sender add|del|list ...");
}
