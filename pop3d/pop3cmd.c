#include "pop3cmd.h"

#include <string.h>

/* What each verb takes. */
#define A_NONE 0    /* nothing */
#define A_OPTNUM 1  /* an optional message number */
#define A_NUM 2     /* one message number */
#define A_TWONUM 3  /* message number and line count */
#define A_TEXT 4    /* the rest of the line, non-empty */
#define A_AUTH 5    /* mechanism [initial-response] */
#define A_ANY 6     /* APOP: refused later, any arguments */

static const struct { const char *name; enum pop3_verb verb; int args; } verbs[] = {
  { "USER", POP3_USER, A_TEXT }, { "PASS", POP3_PASS, A_TEXT },
  { "AUTH", POP3_AUTH, A_AUTH }, { "APOP", POP3_APOP, A_ANY },
  { "STLS", POP3_STLS, A_NONE }, { "CAPA", POP3_CAPA, A_NONE },
  { "QUIT", POP3_QUIT, A_NONE }, { "STAT", POP3_STAT, A_NONE },
  { "LIST", POP3_LIST, A_OPTNUM }, { "UIDL", POP3_UIDL, A_OPTNUM },
  { "RETR", POP3_RETR, A_NUM }, { "DELE", POP3_DELE, A_NUM },
  { "TOP", POP3_TOP, A_TWONUM }, { "RSET", POP3_RSET, A_NONE },
  { "NOOP", POP3_NOOP, A_NONE },
};

const char *pop3_verb_name(enum pop3_verb v)
{
  size_t i;
  for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (verbs[i].verb == v) return verbs[i].name;
  return "?";
}

/* A decimal number: digits only, no sign, no leading zeros beyond "0",
 * 1..POP3_NUM_MAX (0 is allowed: TOP n 0; message 0 is refused later). */
static int number(const char *s, unsigned long *out)
{
  unsigned long v = 0;
  size_t n = 0;
  if (!*s) return 0;
  for (; *s; s++, n++) {
    if (*s < '0' || *s > '9') return 0;
    if (n >= 9 && v > 0) return 0;   /* more than 9 significant digits */
    v = v * 10 + (unsigned long)(*s - '0');
  }
  if (v > POP3_NUM_MAX) return 0;
  *out = v;
  return 1;
}

/* Splits off the next space-separated word; NULL when there is none. */
static char *word(char **p)
{
  char *s = *p, *sp;
  if (!s || !*s) return 0;
  sp = strchr(s, ' ');
  if (sp) { *sp = 0; *p = sp + 1; } else *p = 0;
  return s;
}

int pop3_parse(char *line, size_t len, pop3_cmd *c)
{
  char *rest, *w;
  size_t i, vlen;
  int args = -1;

  memset(c, 0, sizeof *c);
  if (len && line[len - 1] == '\n') len--;
  if (len && line[len - 1] == '\r') len--;
  if (memchr(line, 0, len)) return POP3_ESYNTAX;
  line[len] = 0;
  if (len == 0) return POP3_EEMPTY;
  for (vlen = 0; vlen < len && line[vlen] != ' '; vlen++) ;
  for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
    if (strlen(verbs[i].name) == vlen && strncasecmp(verbs[i].name, line, vlen) == 0) {
      c->verb = verbs[i].verb;
      args = verbs[i].args;
      break;
    }
  }
  if (args < 0) return POP3_EUNKNOWN;
  rest = vlen < len ? line + vlen + 1 : 0;

  switch (args) {
  case A_NONE:
    return rest ? POP3_ESYNTAX : POP3_OK;
  case A_ANY:
    return POP3_OK;
  case A_TEXT:
    if (!rest || !*rest) return POP3_ESYNTAX;
    c->text = rest;
    return POP3_OK;
  case A_AUTH:
    if (!rest) return POP3_OK;          /* AUTH alone: list mechanisms */
    w = word(&rest);
    if (!w) return POP3_ESYNTAX;
    c->text = w;
    if (rest) {
      w = word(&rest);
      if (!w || rest) return POP3_ESYNTAX;
      c->text2 = w;
    }
    return POP3_OK;
  default:
    break;
  }
  /* numeric arguments */
  while ((w = word(&rest)) != 0) {
    if (c->nnum == 2 || !number(w, &c->num[c->nnum])) return POP3_ESYNTAX;
    c->nnum++;
  }
  if (rest) return POP3_ESYNTAX;   /* a trailing space */
  switch (args) {
  case A_OPTNUM: return c->nnum <= 1 ? POP3_OK : POP3_ESYNTAX;
  case A_NUM: return c->nnum == 1 ? POP3_OK : POP3_ESYNTAX;
  default: return c->nnum == 2 ? POP3_OK : POP3_ESYNTAX;
  }
}
