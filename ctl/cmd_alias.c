/* yubinctl alias add|del|list */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "names.h"
#include "out.h"

#define ALIAS_TARGETS_MAX 100

static void alias_arg(const char *in, char address[ADDR_MAX + 1], char dom[ADDR_DOMAIN_MAX + 1])
{
  char name[ACCT_NAME_MAX + 1];
  const char *why = 0;
  if (!name_split(in, name, dom, &why)) ctl_fail(CTL_USAGE, "invalid alias address %s: %s", in, why);
  snprintf(address, ADDR_MAX + 1, "%s@%s", name, dom);
}

static int add(const char *root, int argc, char **argv)
{
  char address[ADDR_MAX + 1], dom[ADDR_DOMAIN_MAX + 1], t[ADDR_MAX + 1], line[TABLE_LINE_MAX + 1];
  size_t len = 0;
  int i;
  ctl_db db;
  if (argc < 2) ctl_fail(CTL_USAGE, "usage: yubinctl alias add ADDRESS TARGET...");
  if (argc - 1 > ALIAS_TARGETS_MAX) ctl_fail(CTL_USAGE, "an alias has at most %d targets", ALIAS_TARGETS_MAX);
  alias_arg(argv[0], address, dom);
  line[0] = 0;
  for (i = 1; i < argc; i++) {
    const char *why = 0;
    size_t tl;
    if (!name_target_ok(argv[i], t, &why)) ctl_fail(CTL_USAGE, "invalid target %s: %s", argv[i], why);
    if (!strcasecmp(t, address)) ctl_fail(CTL_USAGE, "an alias may not point to itself: %s", t);
    tl = strlen(t);
    if (len + tl + 2 > sizeof line) ctl_fail(CTL_USAGE, "too many targets for one line");
    if (len) line[len++] = ',';
    memcpy(line + len, t, tl + 1);
    len += tl;
  }
  cmd_open(&db, root, 1);
  if (!table_get(&db.domains, dom)) ctl_fail(CTL_USAGE, "no domain %s (add it first)", dom);
  if (table_get(&db.accounts, address)) ctl_fail(CTL_USAGE, "%s is an account", address);
  if (!table_set(&db.aliases, address, line)) ctl_fail_sys(CTL_TEMP, "unable to record %s", address);
  cmd_commit(&db);
  log_info("alias add address=%s targets=%d", address, argc - 1);
  db_close(&db);
  out_done();
  return 0;
}

static int del(const char *root, int argc, char **argv)
{
  char address[ADDR_MAX + 1], dom[ADDR_DOMAIN_MAX + 1];
  ctl_db db;
  if (argc != 1) ctl_fail(CTL_USAGE, "usage: yubinctl alias del ADDRESS");
  alias_arg(argv[0], address, dom);
  cmd_open(&db, root, 1);
  if (!table_del(&db.aliases, address)) ctl_fail(CTL_USAGE, "no alias %s", address);
  cmd_commit(&db);
  log_info("alias del address=%s", address);
  db_close(&db);
  out_done();
  return 0;
}

static int list(const char *root, int argc, char **argv)
{
  char dom[ADDR_DOMAIN_MAX + 1] = "";
  size_t i, shown = 0;
  ctl_db db;
  if (argc > 1) ctl_fail(CTL_USAGE, "usage: yubinctl alias list [DOMAIN]");
  if (argc == 1) {
    const char *why = 0;
    size_t n = strlen(argv[0]);
    if (n == 0 || n > 253) ctl_fail(CTL_USAGE, "invalid domain");
    addr_lower(dom, argv[0], n);
    if (!name_domain_ok(dom, &why)) ctl_fail(CTL_USAGE, "invalid domain %s: %s", dom, why);
  }
  cmd_open(&db, root, 0);
  if (dom[0] && !table_get(&db.domains, dom)) ctl_fail(CTL_USAGE, "no domain %s", dom);
  if (out_json) fputs("[", stdout);
  for (i = 0; i < db.aliases.n; i++) {
    const trow *r = &db.aliases.r[i];
    const char *at = strchr(r->key, '@');
    if (dom[0] && (!at || strcmp(at + 1, dom) != 0)) continue;
    if (out_json) {
      fputs(shown ? ", {\"address\": " : "{\"address\": ", stdout);
      json_str(r->key);
      fputs(", \"targets\": ", stdout);
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

int cmd_alias(const char *root, int argc, char **argv)
{
  if (argc >= 1 && !strcmp(argv[0], "add")) return add(root, argc - 1, argv + 1);
  if (argc >= 1 && !strcmp(argv[0], "del")) return del(root, argc - 1, argv + 1);
  if (argc >= 1 && !strcmp(argv[0], "list")) return list(root, argc - 1, argv + 1);
  ctl_fail(CTL_USAGE, "usage: yubinctl alias add|del|list ...");
}
