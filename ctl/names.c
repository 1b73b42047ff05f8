#include "names.h"

#include <string.h>

static int set_why(const char **why, const char *w)
{
  if (why) *why = w;
  return 0;
}

static int lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

int name_domain_ok(const char *s, const char **why)
{
  size_t n = strlen(s), i, label = 0, labels = 1;
  if (n == 0) return set_why(why, "empty domain");
  if (n > 253) return set_why(why, "domain longer than 253 characters");
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (c == '.') {
      if (label == 0) return set_why(why, "empty label in domain");
      if (s[i - 1] == '-') return set_why(why, "domain label ends with '-'");
      label = 0;
      labels++;
      continue;
    }
    if (!lower_alnum(c) && c != '-') return set_why(why, "domain may hold only a-z 0-9 - and dots");
    if (c == '-' && label == 0) return set_why(why, "domain label starts with '-'");
    if (++label > 63) return set_why(why, "domain label longer than 63 characters");
  }
  if (label == 0) return set_why(why, "empty label in domain");
  if (s[n - 1] == '-') return set_why(why, "domain label ends with '-'");
  if (labels < 2) return set_why(why, "domain needs at least two labels");
  return 1;
}

int name_account_ok(const char *s, const char **why)
{
  size_t n = strlen(s), i;
  if (n == 0) return set_why(why, "empty account name");
  if (n > ACCT_NAME_MAX) return set_why(why, "account name longer than 64 characters");
  if (!lower_alnum(s[0])) return set_why(why, "account name must start with a-z or 0-9");
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (!lower_alnum(c) && c != '.' && c != '_' && c != '-')
      return set_why(why, "account name may hold only a-z 0-9 . _ -");
    if (c == '.' && i > 0 && s[i - 1] == '.') return set_why(why, "account name holds \"..\"");
  }
  if (s[n - 1] == '-' || s[n - 1] == '.') return set_why(why, "account name ends with '-' or '.'");
  return 1;
}

int name_ext_ok(const char *s, const char **why)
{
  size_t n = strlen(s), i;
  if (n == 0) return set_why(why, "empty extension");
  if (n > ACCT_EXT_MAX) return set_why(why, "extension longer than 64 characters");
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (!lower_alnum(c) && !strchr("._+=-", c)) return set_why(why, "extension may hold only a-z 0-9 . _ + = -");
  }
  return 1;
}

int name_split(const char *address, char name[ACCT_NAME_MAX + 1], char domain[ADDR_DOMAIN_MAX + 1],
               const char **why)
{
  const char *at = strrchr(address, '@');
  size_t nl, dl;
  if (!at) return set_why(why, "address needs an '@'");
  nl = (size_t)(at - address);
  dl = strlen(at + 1);
  if (nl == 0 || nl > ACCT_NAME_MAX) return set_why(why, "local part must be 1 to 64 characters");
  if (dl == 0 || dl > 253) return set_why(why, "domain must be 1 to 253 characters");
  addr_lower(name, address, nl);
  name[nl] = 0;
  addr_lower(domain, at + 1, dl);
  domain[dl] = 0;
  if (!name_account_ok(name, why)) return 0;
  return name_domain_ok(domain, why);
}

int name_target_ok(const char *s, char out[ADDR_MAX + 1], const char **why)
{
  size_t n = strlen(s);
  addr a;
  const char *w = 0;
  if (n == 0) return set_why(why, "empty address");
  if (n > ADDR_MAX) return set_why(why, "address too long");
  if (!addr_parse_mailbox(s, n, ADDR_NO_LITERAL, &a, &w)) return set_why(why, w ? w : "malformed address");
  if (a.literal) return set_why(why, "address literals are not allowed");
  if (a.quoted) return set_why(why, "quoted local parts are not allowed");
  if (!strchr(a.domain, '.')) return set_why(why, "domain needs at least two labels");
  memcpy(out, a.local, a.local_len);
  out[a.local_len] = '@';
  addr_lower(out + a.local_len + 1, a.domain, a.domain_len);
  out[a.local_len + 1 + a.domain_len] = 0;
  return 1;
}
