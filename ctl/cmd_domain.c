/* yubinctl domain add|del|list */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "fsx.h"
#include "log.h"
#include "names.h"
#include "out.h"

static void domain_arg(const char *in, char out[ADDR_DOMAIN_MAX + 1])
{
  const char *why = 0;
  size_t n = strlen(in);
  if (n == 0 || n > 253) ctl_fail(CTL_USAGE, "invalid domain: must be 1 to 253 characters");
  addr_lower(out, in, n);
  if (!name_domain_ok(out, &why)) ctl_fail(CTL_USAGE, "invalid domain %s: %s", out, why);
}

static int add(const char *root, int argc, char **argv)
{
  char dom[ADDR_DOMAIN_MAX + 1], p[PATH_MAX];
  int sub = 0, i;
  const char *name = 0;
  ctl_db db;
  for (i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--subdomains")) sub = 1;
    else if (argv[i][0] == '-' || name) ctl_fail(CTL_USAGE, "usage: yubinctl domain add DOMAIN [--subdomains]");
    else name = argv[i];
  }
  if (!name) ctl_fail(CTL_USAGE, "usage: yubinctl domain add DOMAIN [--subdomains]");
  domain_arg(name, dom);
  cmd_open(&db, root, 1);
  if (table_get(&db.domains, dom)) ctl_fail(CTL_USAGE, "domain %s already exists", dom);
  if (!table_set(&db.domains, dom, sub ? "subdomains" : "")) ctl_fail_sys(CTL_TEMP, "unable to add %s", dom);
  if (!db_path(&db, p, sizeof p, "mail") || !fsx_dir(p, 0755, geteuid() == 0 ? db.owner : FSX_NOCHOWN, db.owner_gid))
    ctl_fail_sys(CTL_TEMP, "unable to create %s", p);
  if (snprintf(p, sizeof p, "%s/mail/%s", db.root, dom) >= (int)sizeof p ||
      !fsx_dir(p, 0755, geteuid() == 0 ? db.owner : FSX_NOCHOWN, db.owner_gid))
    ctl_fail_sys(CTL_TEMP, "unable to create %s", p);
  cmd_commit(&db);
  log_info("domain add domain=%s subdomains=%s", dom, sub ? "yes" : "no");
  db_close(&db);
  out_done();
  return 0;
}

/* Removes every row of t whose address is in dom; returns how many. */
static size_t drop_domain_rows(table *t, const char *dom)
{
  size_t i = 0, n = 0, dl = strlen(dom);
  while (i < t->n) {
    const char *at = strchr(t->r[i].key, '@');
    if (at && strcspn(at + 1, " ") == dl && !memcmp(at + 1, dom, dl)) {
      char *k = t->r[i].key;
      char key[TABLE_LINE_MAX + 1];
      snprintf(key, sizeof key, "%s", k);
      table_del(t, key);
      n++;
    } else {
      i++;
    }
  }
  return n;
}

static int del(const char *root, int argc, char **argv)
{
  char dom[ADDR_DOMAIN_MAX + 1];
  int force = 0, i;
  const char *name = 0;
  size_t na, nl;
  ctl_db db;
  for (i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--force")) force = 1;
    else if (argv[i][0] == '-' || name) ctl_fail(CTL_USAGE, "usage: yubinctl domain del DOMAIN [--force]");
    else name = argv[i];
  }
  if (!name) ctl_fail(CTL_USAGE, "usage: yubinctl domain del DOMAIN [--force]");
  domain_arg(name, dom);
  cmd_open(&db, root, 1);
  if (!table_get(&db.domains, dom)) ctl_fail(CTL_USAGE, "no domain %s", dom);
  na = db_count_in_domain(&db.accounts, dom);
  nl = db_count_in_domain(&db.aliases, dom);
  if ((na || nl) && !force)
    ctl_fail(CTL_USAGE, "domain %s still has %zu accounts and %zu aliases (use --force)", dom, na, nl);
  drop_domain_rows(&db.accounts, dom);
  drop_domain_rows(&db.passwd, dom);
  drop_domain_rows(&db.extensions, dom);
  drop_domain_rows(&db.aliases, dom);
  table_del(&db.domains, dom);
  cmd_commit(&db);
  log_info("domain del domain=%s accounts=%zu aliases=%zu", dom, na, nl);
  db_close(&db);
  out_done();
  return 0;
}

static int list(const char *root, int argc, char **argv)
{
  ctl_db db;
  size_t i;
  (void)argv;
  if (argc) ctl_fail(CTL_USAGE, "usage: yubinctl domain list");
  cmd_open(&db, root, 0);
  if (out_json) fputs("[", stdout);
  for (i = 0; i < db.domains.n; i++) {
    const trow *r = &db.domains.r[i];
    int sub = strstr(r->val, "subdomains") != 0;
    if (out_json) {
      fputs(i ? ", {\"domain\": " : "{\"domain\": ", stdout);
      json_str(r->key);
      printf(", \"subdomains\": %s, \"accounts\": %zu, \"aliases\": %zu}", sub ? "true" : "false",
             db_count_in_domain(&db.accounts, r->key), db_count_in_domain(&db.aliases, r->key));
    } else {
      printf("%s\n", r->key);
    }
  }
  if (out_json) puts("]");
  db_close(&db);
  return 0;
}

int cmd_domain(const char *root, int argc, char **argv)
{
  if (argc >= 1 && !strcmp(argv[0], "add")) return add(root, argc - 1, argv + 1);
  if (argc >= 1 && !strcmp(argv[0], "del")) return del(root, argc - 1, argv + 1);
  if (argc >= 1 && !strcmp(argv[0], "list")) return list(root, argc - 1, argv + 1);
  ctl_fail(CTL_USAGE, "usage: yubinctl domain add|del|list ...");
}
