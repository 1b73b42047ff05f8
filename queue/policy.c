#include "policy.h"

#include <string.h>
#include <strings.h>

#include "accounts.h"
#include "control.h"
#include "log.h"

/* The sender policy for local callers (CGI scripts and shell users), on
 * when control/senderpolicy is 1: a caller whose Unix uid belongs to hosted
 * accounts (yubinctl account add --uid) may use sender addresses only in
 * those accounts' domains (or ACCOUNT.domain subdomains of them) and the
 * extra sender addresses listed for them (yubinctl sender add); a caller
 * that owns no account only in control/defaultdomain or control/me; root
 * any.  The null sender is always allowed. */

static const char *sender_domain;

static int match(const char *domain, void *arg)
{
  size_t dl = strlen(domain), sl = strlen(sender_domain);
  (void)arg;
  if (strcasecmp(sender_domain, domain) == 0) return 1;
  return sl > dl + 1 && sender_domain[sl - dl - 1] == '.' && strcasecmp(sender_domain + sl - dl, domain) == 0;
}

static int any(const char *domain, void *arg) { (void)domain; (void)arg; return 1; }

static const char *policy_sender;

static int listed(const char *account, void *arg)
{
  int r = accounts_sender_listed((accounts_db *)arg, account, policy_sender);
  return r;   /* 1 stops the walk: allowed; -1 stops it: an error */
}

int policy_sender_allowed(uid_t uid, const char *user, const char *sender)
{
  unsigned long on = control_ulong_or("senderpolicy", 0, 0, 2);
  const char *at = strrchr(sender, '@');
  accounts_db db;
  int r, owns;
  (void)user;
  if (on != 1 || uid == 0 || !sender[0]) return 1;
  if (!at) return 0;
  sender_domain = at + 1;
  if (accounts_open(&db, 0) < 0) return 0;
  policy_sender = sender;
  r = accounts_uid_domains(&db, (unsigned long)uid, match, 0);
  if (r == 0) r = accounts_uid_accounts(&db, (unsigned long)uid, listed, &db);
  owns = accounts_uid_domains(&db, (unsigned long)uid, any, 0);
  accounts_close(&db);
  if (r < 0 || owns < 0) return 0;
  if (r > 0) return 1;
  if (owns) return 0;
  {
    /* A caller that owns no account: this host's own names only. */
    sa dd = SA_ZERO;
    int ok = strcasecmp(sender_domain, control_me()) == 0 ||
             (control_readline("defaultdomain", &dd) == 1 && strcasecmp(sender_domain, dd.s) == 0);
    sa_free(&dd);
    return ok;
  }
}
