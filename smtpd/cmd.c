#include "cmd.h"

#include <string.h>
#include <strings.h>

static int up(int c) { return (c >= 'a' && c <= 'z') ? c - 32 : c; }

int cmd_split(const char *line, size_t len, smtp_cmd *c)
{
  size_t i = 0, k;
  for (k = 0; k < len; k++) {
    unsigned char u = (unsigned char)line[k];
    if (u < 32 && u != '\t') return 0;
    if (u == 127) return 0;
  }
  while (i < len && line[i] != ' ') {
    int ch = up((unsigned char)line[i]);
    if (ch < 'A' || ch > 'Z' || i >= SMTP_VERB_MAX) return 0;
    c->verb[i] = (char)ch;
    i++;
  }
  if (i == 0) return 0;
  c->verb[i] = 0;
  if (i < len) i++;  /* the space */
  c->arg = line + i;
  c->arglen = len - i;
  return 1;
}

/* Matches "WORD:" case-insensitively, then skips spaces. */
static int prefix(const char *s, size_t n, const char *word, size_t *used)
{
  size_t w = strlen(word), i;
  if (n < w || strncasecmp(s, word, w) != 0) return 0;
  i = w;
  while (i < n && s[i] == ' ') i++;
  *used = i;
  return 1;
}

static int why_ret(const char **why, const char *w, int r) { *why = w; return r; }

static int parse_ull(const char *s, size_t n, unsigned long long *v)
{
  unsigned long long x = 0;
  size_t i;
  if (n == 0 || n > 20) return 0;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    if (__builtin_mul_overflow(x, 10ULL, &x) || __builtin_add_overflow(x, (unsigned long long)(s[i] - '0'), &x))
      return 0;
  }
  *v = x;
  return 1;
}

static int esmtp_keyword_ok(const char *s, size_t n)
{
  size_t i;
  if (n == 0) return 0;
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0)))
      return 0;
  }
  return 1;
}

int cmd_mail(const char *arg, size_t n, addr *a, mail_params *p, const char **why)
{
  size_t i, used;
  unsigned flags = ADDR_ALLOW_NULL;
  memset(p, 0, sizeof *p);
  if (!prefix(arg, n, "FROM:", &i)) return why_ret(why, "5.5.4 syntax: MAIL FROM:<address>", CMD_SYNTAX);
  /* Parameters first (SMTPUTF8 decides whether the address may hold UTF-8).
   * The path ends at the first '>' outside quotes; find it with a lax
   * parse that allows UTF-8, then parse strictly below. */
  {
    addr tmp;
    const char *w;
    if (!addr_parse_path(arg + i, n - i, ADDR_ALLOW_NULL | ADDR_UTF8, &tmp, &used, &w))
      return why_ret(why, "5.1.7 bad sender address syntax", CMD_SYNTAX);
  }
  {
    size_t j = i + used;
    while (j < n) {
      size_t k, eq;
      if (arg[j] != ' ') return why_ret(why, "5.5.4 syntax: MAIL FROM:<address> [parameters]", CMD_SYNTAX);
      while (j < n && arg[j] == ' ') j++;
      if (j >= n) break;
      k = j;
      while (k < n && arg[k] != ' ') k++;
      eq = j;
      while (eq < k && arg[eq] != '=') eq++;
      if (!esmtp_keyword_ok(arg + j, eq - j)) return why_ret(why, "5.5.4 bad parameter syntax", CMD_SYNTAX);
      if (eq - j == 4 && strncasecmp(arg + j, "SIZE", 4) == 0 && eq < k) {
        if (p->has_size || !parse_ull(arg + eq + 1, k - eq - 1, &p->size))
          return why_ret(why, "5.5.4 bad SIZE parameter", CMD_SYNTAX);
        p->has_size = 1;
      } else if (eq - j == 4 && strncasecmp(arg + j, "BODY", 4) == 0 && eq < k) {
        if (k - eq - 1 == 8 && strncasecmp(arg + eq + 1, "8BITMIME", 8) == 0) p->body8 = 1;
        else if (k - eq - 1 == 4 && strncasecmp(arg + eq + 1, "7BIT", 4) == 0) p->body8 = 0;
        else return why_ret(why, "5.5.4 BODY must be 7BIT or 8BITMIME", CMD_BAD_PARAM);
      } else if (eq - j == 8 && eq == k && strncasecmp(arg + j, "SMTPUTF8", 8) == 0) {
        p->smtputf8 = 1;
      } else if (eq - j == 4 && strncasecmp(arg + j, "AUTH", 4) == 0 && eq + 1 < k) {
        /* AUTH=<mailbox> or AUTH=<>: xtext, accepted and not trusted. */
        if (p->auth) return why_ret(why, "5.5.4 duplicate AUTH parameter", CMD_SYNTAX);
        p->auth = 1;
      } else {
        return why_ret(why, "5.5.4 unsupported parameter", CMD_BAD_PARAM);
      }
      j = k;
    }
  }
  if (p->smtputf8) flags |= ADDR_UTF8;
  if (!addr_parse_path(arg + i, n - i, flags, a, &used, why)) {
    *why = "5.1.7 bad sender address syntax";
    return CMD_SYNTAX;
  }
  return CMD_OK;
}

int cmd_rcpt(const char *arg, size_t n, unsigned flags, addr *a, const char **why)
{
  size_t i, used;
  if (!prefix(arg, n, "TO:", &i)) return why_ret(why, "5.5.4 syntax: RCPT TO:<address>", CMD_SYNTAX);
  if (!addr_parse_path(arg + i, n - i, flags & ~ADDR_ALLOW_NULL, a, &used, why))
    return why_ret(why, "5.1.3 bad recipient address syntax", CMD_SYNTAX);
  i += used;
  while (i < n && arg[i] == ' ') i++;
  if (i < n) return why_ret(why, "5.5.4 RCPT parameters are not supported", CMD_BAD_PARAM);
  return CMD_OK;
}

int cmd_bdat(const char *arg, size_t n, unsigned long long *size, int *last)
{
  size_t i = 0;
  while (i < n && arg[i] >= '0' && arg[i] <= '9') i++;
  if (!parse_ull(arg, i, size)) return CMD_SYNTAX;
  *last = 0;
  if (i == n) return CMD_OK;
  if (arg[i] != ' ') return CMD_SYNTAX;
  i++;
  if (n - i == 4 && strncasecmp(arg + i, "LAST", 4) == 0) { *last = 1; return CMD_OK; }
  return CMD_SYNTAX;
}

int cmd_helo_ok(const char *arg, size_t n)
{
  if (n == 0 || n > ADDR_DOMAIN_MAX) return 0;
  if (arg[0] == '[') {
    char buf[ADDR_DOMAIN_MAX + 8];
    addr a;
    /* Reuse the mailbox parser's literal check: "x@[literal]". */
    if (n + 2 > sizeof buf) return 0;
    buf[0] = 'x'; buf[1] = '@';
    memcpy(buf + 2, arg, n);
    return addr_parse_mailbox(buf, n + 2, 0, &a, 0);
  }
  return addr_domain_valid(arg, n, ADDR_UTF8);
}
