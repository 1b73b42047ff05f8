#include "header.h"

#include <string.h>

static int is_wsp(char c) { return c == ' ' || c == '\t'; }

int hdr_next(const char *buf, size_t n, size_t *pos, hdr_field *f, int *body_sep)
{
  size_t p = *pos, i;
  const char *nl;

  *body_sep = 0;
  if (p >= n) return 0;
  if (buf[p] == '\n') { *pos = p + 1; *body_sep = 1; return 0; }
  if (buf[p] == '\r' && p + 1 < n && buf[p + 1] == '\n') { *pos = p + 2; *body_sep = 1; return 0; }
  /* field-name = 1*ftext, then ':' */
  for (i = p; i < n && i - p <= HDR_NAME_MAX; i++) {
    unsigned char c = (unsigned char)buf[i];
    if (c == ':') break;
    if (c < 33 || c > 126) return 0;
  }
  if (i >= n || buf[i] != ':' || i == p || i - p > HDR_NAME_MAX) return 0;
  f->name = buf + p;
  f->name_len = i - p;
  f->value = buf + i + 1;
  f->raw = buf + p;
  /* the value runs to a LF not followed by SP or HT */
  p = i + 1;
  for (;;) {
    nl = memchr(buf + p, '\n', n - p);
    if (!nl) { p = n; break; }
    p = (size_t)(nl - buf) + 1;
    if (p >= n || !is_wsp(buf[p])) break;
  }
  f->raw_len = p - (size_t)(f->raw - buf);
  f->value_len = (size_t)(buf + p - f->value);
  if (f->value_len && f->value[f->value_len - 1] == '\n') f->value_len--;
  *pos = p;
  return 1;
}

int hdr_is(const hdr_field *f, const char *name)
{
  size_t i, l = strlen(name);
  if (l != f->name_len) return 0;
  for (i = 0; i < l; i++) {
    char a = f->name[i], b = name[i];
    if (a >= 'A' && a <= 'Z') a = (char)(a + 32);
    if (b >= 'A' && b <= 'Z') b = (char)(b + 32);
    if (a != b) return 0;
  }
  return 1;
}

/* ---- the address-list lexer ---------------------------------------- */

enum { T_END, T_ATOM, T_QS, T_DLIT, T_SPECIAL, T_ERR };

typedef struct lexer {
  const char *s;
  size_t n, i;
  const char *why;
} lexer;

typedef struct token {
  int type;
  char c;              /* T_SPECIAL */
  const char *p;       /* T_ATOM, T_QS (quotes included), T_DLIT (brackets included) */
  size_t len;
} token;

static int is_atext(unsigned char c)
{
  if (c >= 0x80) return 1;    /* RFC 6532: UTF-8 */
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
  return strchr("!#$%&'*+-/=?^_`{|}~", c) != 0 && c != 0;
}

static int is_special(char c) { return c && strchr("()<>[]:;@\\,.\"", c) != 0; }

/* Skips white space, folds and (nested) comments. */
static int skip_cfws(lexer *lx)
{
  while (lx->i < lx->n) {
    char c = lx->s[lx->i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') { lx->i++; continue; }
    if (c == '(') {
      int depth = 0;
      for (; lx->i < lx->n; lx->i++) {
        c = lx->s[lx->i];
        if (c == '\\') { lx->i++; continue; }
        if (c == '(') { if (++depth > HDR_COMMENT_DEPTH) { lx->why = "comments nested too deeply"; return 0; } }
        else if (c == ')') { if (--depth == 0) break; }
      }
      if (lx->i >= lx->n) { lx->why = "unterminated comment"; return 0; }
      lx->i++;
      continue;
    }
    break;
  }
  return 1;
}

static token lex(lexer *lx)
{
  token t = { T_END, 0, 0, 0 };
  size_t start;
  char c;
  if (!skip_cfws(lx)) { t.type = T_ERR; return t; }
  if (lx->i >= lx->n) return t;
  start = lx->i;
  c = lx->s[start];
  t.p = lx->s + start;
  if (c == '"' || c == '[') {
    char close = c == '"' ? '"' : ']';
    for (lx->i++; lx->i < lx->n; lx->i++) {
      char d = lx->s[lx->i];
      if (d == '\\' && lx->i + 1 < lx->n) d = lx->s[++lx->i];
      else if (d == close) break;
      if (((unsigned char)d < 0x20 && d != '\t' && d != '\r' && d != '\n') || d == 0x7f) {
        lx->why = "control character in address";
        t.type = T_ERR;
        return t;
      }
      if (c == '[' && (d == '[')) break;
    }
    if (lx->i >= lx->n || lx->s[lx->i] != close) {
      lx->why = c == '"' ? "unterminated quoted string" : "bad domain literal";
      t.type = T_ERR;
      return t;
    }
    lx->i++;
    t.type = c == '"' ? T_QS : T_DLIT;
    t.len = lx->i - start;
    return t;
  }
  if (is_special(c)) {
    if (c == ')' || c == ']' || c == '\\') { lx->why = "unexpected character"; t.type = T_ERR; return t; }
    lx->i++;
    t.type = T_SPECIAL;
    t.c = c;
    t.len = 1;
    return t;
  }
  while (lx->i < lx->n && is_atext((unsigned char)lx->s[lx->i])) lx->i++;
  if (lx->i == start) { lx->why = "bad character in address"; t.type = T_ERR; return t; }
  t.type = T_ATOM;
  t.len = lx->i - start;
  return t;
}

/* The next token without consuming it; an error is still recorded. */
static token peek(lexer *lx)
{
  lexer copy = *lx;
  token t = lex(&copy);
  if (t.type == T_ERR) lx->why = copy.why;
  return t;
}

static int is_sp(token t, char c) { return t.type == T_SPECIAL && t.c == c; }

static int err(lexer *lx, const char *why)
{
  if (!lx->why) lx->why = why;
  return 0;
}

/* Quoted strings in the output: the bytes as written, but a folded quoted
 * string loses its CR and LF (RFC 5322 3.2.4: unfolding). */
static int cat_unfolded(sa *out, const char *p, size_t len)
{
  size_t i;
  for (i = 0; i < len; i++)
    if (p[i] != '\r' && p[i] != '\n' && !sa_catc(out, p[i])) return 0;
  return 1;
}

/* addr-spec (obs forms included): word *("." word) ["@" domain] */
static int addr_spec(lexer *lx, const char *dflt, sa *out, size_t *count)
{
  token t = lex(lx);
  if (t.type != T_ATOM && t.type != T_QS) return err(lx, "expected an address");
  if (!cat_unfolded(out, t.p, t.len)) return err(lx, "address too long");
  for (;;) {
    t = peek(lx);
    if (!is_sp(t, '.')) break;
    lex(lx);
    t = lex(lx);
    if (t.type != T_ATOM && t.type != T_QS) return err(lx, "bad local part");
    if (!sa_catc(out, '.') || !cat_unfolded(out, t.p, t.len)) return err(lx, "address too long");
  }
  t = peek(lx);
  if (!is_sp(t, '@')) {
    if (t.type == T_ERR) return 0;
    if (!dflt) return err(lx, "address without a domain");
    if (!sa_catc(out, '@') || !sa_cats(out, dflt) || !sa_catc(out, 0)) return err(lx, "address too long");
    (*count)++;
    return 1;
  }
  lex(lx);
  if (!sa_catc(out, '@')) return err(lx, "address too long");
  t = lex(lx);
  if (t.type == T_DLIT) {
    if (!cat_unfolded(out, t.p, t.len)) return err(lx, "address too long");
  } else {
    if (t.type != T_ATOM) return err(lx, "bad domain");
    if (!sa_catb(out, t.p, t.len)) return err(lx, "address too long");
    for (;;) {
      t = peek(lx);
      if (!is_sp(t, '.')) break;
      lex(lx);
      t = lex(lx);
      if (t.type != T_ATOM) return err(lx, "bad domain");
      if (!sa_catc(out, '.') || !sa_catb(out, t.p, t.len)) return err(lx, "address too long");
    }
  }
  if (!sa_catc(out, 0)) return err(lx, "address too long");
  (*count)++;
  return 1;
}

/* angle-addr after its "<": [obs-route] addr-spec ">" */
static int angle_rest(lexer *lx, const char *dflt, sa *out, size_t *count)
{
  token t = peek(lx);
  if (is_sp(t, '@') || is_sp(t, ',')) {
    /* obs-route: the route is dropped (RFC 5322 4.4) */
    for (;;) {
      t = lex(lx);
      if (is_sp(t, ':')) break;
      if (t.type == T_END || t.type == T_ERR || is_sp(t, '>') || is_sp(t, '<')) return err(lx, "bad route");
    }
  }
  if (is_sp(peek(lx), '>')) {
    return err(lx, "empty address");
  }
  if (!addr_spec(lx, dflt, out, count)) return 0;
  if (!is_sp(lex(lx), '>')) return err(lx, "expected >");
  return 1;
}

/* One mailbox: name-addr or addr-spec.  With allow_group, a group too. */
static int address(lexer *lx, const char *dflt, sa *out, size_t *count, int allow_group)
{
  lexer scan = *lx;
  size_t words = 0;
  token t;
  /* Look ahead over the phrase to see what follows it. */
  for (;;) {
    t = lex(&scan);
    if (t.type == T_ATOM || t.type == T_QS) { words++; continue; }
    if (is_sp(t, '.') && words) continue;   /* obs-phrase */
    break;
  }
  if (t.type == T_ERR) { lx->why = scan.why; return 0; }
  if (is_sp(t, '<')) {
    *lx = scan;
    return angle_rest(lx, dflt, out, count);
  }
  if (is_sp(t, ':') && words) {
    if (!allow_group) return err(lx, "group inside a group");
    *lx = scan;
    for (;;) {
      t = peek(lx);
      if (is_sp(t, ';')) { lex(lx); return 1; }
      if (t.type == T_ERR) return 0;
      if (t.type == T_END) return err(lx, "unterminated group");
      if (is_sp(t, ',')) { lex(lx); continue; }
      if (!address(lx, dflt, out, count, 0)) return 0;
      t = peek(lx);
      if (t.type == T_END) return err(lx, "unterminated group");
      if (!is_sp(t, ',') && !is_sp(t, ';')) return err(lx, "expected , or ; in group");
    }
  }
  return addr_spec(lx, dflt, out, count);
}

int hdr_addrlist(const char *s, size_t n, const char *default_domain, sa *out, size_t *count,
                 const char **why)
{
  lexer lx = { s, n, 0, 0 };
  size_t start = *count;
  token t;
  for (;;) {
    t = peek(&lx);
    if (t.type == T_END) return 1;
    if (t.type == T_ERR) break;
    if (is_sp(t, ',')) { lex(&lx); continue; }    /* obs-addr-list: empty members */
    if (!address(&lx, default_domain, out, count, 1)) break;
    if (*count - start > HDR_ADDRS_MAX) { lx.why = "too many addresses"; break; }
    t = peek(&lx);
    if (t.type == T_END) return 1;
    if (!is_sp(t, ',')) { if (!lx.why) lx.why = "expected , between addresses"; break; }
  }
  if (why) *why = lx.why ? lx.why : "bad address list";
  return 0;
}
