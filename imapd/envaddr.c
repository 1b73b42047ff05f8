#include "envaddr.h"

#include <string.h>

enum { T_END, T_ATOM, T_QS, T_SPECIAL };

typedef struct lex {
  const char *s;
  size_t n, pos;
} lex;

/* Next token: atoms (anything but specials, space, controls), quoted
 * strings (the span between the quotes), domain literals (as atoms), single
 * specials; comments and white space are skipped. */
static int next(lex *l, const char **t, size_t *tl)
{
  int depth;
  for (;;) {
    while (l->pos < l->n && (l->s[l->pos] == ' ' || l->s[l->pos] == '\t' || l->s[l->pos] == '\r' ||
                             l->s[l->pos] == '\n'))
      l->pos++;
    if (l->pos >= l->n) return T_END;
    if (l->s[l->pos] != '(') break;
    for (depth = 0; l->pos < l->n; l->pos++) {
      char c = l->s[l->pos];
      if (c == '\\') { l->pos++; continue; }
      if (c == '(' && ++depth > ENVADDR_COMMENT_DEPTH) { l->pos = l->n; break; }
      if (c == ')' && --depth == 0) { l->pos++; break; }
    }
  }
  *t = l->s + l->pos;
  if (l->s[l->pos] == '"') {
    size_t i = l->pos + 1;
    while (i < l->n && l->s[i] != '"') i += (l->s[i] == '\\' && i + 1 < l->n) ? 2 : 1;
    *t = l->s + l->pos + 1;
    *tl = (i < l->n ? i : l->n) - l->pos - 1;
    l->pos = i < l->n ? i + 1 : l->n;
    return T_QS;
  }
  if (l->s[l->pos] == '[') {
    size_t i = l->pos;
    while (i < l->n && l->s[i] != ']') i++;
    *tl = (i < l->n ? i + 1 : l->n) - l->pos;
    l->pos += *tl;
    return T_ATOM;
  }
  if (strchr("<>,:;@.", l->s[l->pos])) {
    *tl = 1;
    l->pos++;
    return T_SPECIAL;
  }
  {
    size_t i = l->pos;
    while (i < l->n && !strchr("()<>,:;@.\"[] \t\r\n", l->s[i])) i++;
    if (i == l->pos) i++;   /* a stray special such as ')' or ']' */
    *tl = i - l->pos;
    l->pos = i;
  }
  return T_ATOM;
}

static int put_field(sa *out, const char *s, size_t n, int present)
{
  if (!present) return sa_catc(out, 'N') && sa_catc(out, 0);
  return sa_catc(out, 'S') && sa_catb(out, s, n) && sa_catc(out, 0);
}

/* Appends token text to a field being built, unquoting quoted strings. */
static int add_text(sa *f, int type, const char *t, size_t tl, int space)
{
  size_t i;
  if (space && f->len && !sa_catc(f, ' ')) return 0;
  for (i = 0; i < tl; i++) {
    if (type == T_QS && t[i] == '\\' && i + 1 < tl) i++;
    if (t[i] == 0) continue;   /* a NUL would end the field early */
    if (!sa_catc(f, t[i])) return 0;
  }
  return 1;
}

/* Emits one address from an addr-spec held in spec ("local@domain"). */
static int emit(sa *out, const sa *name, int has_name, const sa *spec, size_t *count)
{
  const char *at;
  if (!spec->len) return 1;
  if (*count >= ENVADDR_MAX) return 1;
  at = memchr(spec->s, '@', spec->len);
  (*count)++;
  return put_field(out, name->s, name->len, has_name && name->len) && put_field(out, 0, 0, 0) &&
         put_field(out, spec->s, at ? (size_t)(at - spec->s) : spec->len, 1) &&
         put_field(out, at ? at + 1 : 0, at ? spec->len - (size_t)(at - spec->s) - 1 : 0, at != 0);
}

int envaddr_parse(const char *s, size_t n, sa *out, size_t *count)
{
  lex l = { s, n, 0 };
  sa phrase = SA_ZERO, spec = SA_ZERO;
  const char *t;
  size_t tl;
  int type, in_group = 0, ok = 0, prev_word = 0;
  *count = 0;
  out->len = 0;
  for (;;) {
    type = next(&l, &t, &tl);
    if (type == T_END || (type == T_SPECIAL && (*t == ',' || *t == ';'))) {
      /* a bare addr-spec collected as a phrase */
      if (spec.len || phrase.len) {
        if (!emit(out, &spec, 0, &phrase, count)) goto done;
      }
      phrase.len = spec.len = 0;
      prev_word = 0;
      if (type == T_SPECIAL && *t == ';' && in_group) {
        if (!put_field(out, 0, 0, 0) || !put_field(out, 0, 0, 0) || !put_field(out, 0, 0, 0) ||
            !put_field(out, 0, 0, 0))
          goto done;
        (*count)++;
        in_group = 0;
      }
      if (type == T_END) break;
      continue;
    }
    if (type == T_SPECIAL && *t == ':' && !in_group) {
      /* group start: (NIL NIL "name" NIL) */
      if (!put_field(out, 0, 0, 0) || !put_field(out, 0, 0, 0) ||
          !put_field(out, phrase.s, phrase.len, 1) || !put_field(out, 0, 0, 0))
        goto done;
      (*count)++;
      in_group = 1;
      phrase.len = 0;
      prev_word = 0;
      continue;
    }
    if (type == T_SPECIAL && *t == '<') {
      /* name-addr: the phrase is the display name; route and spec inside */
      spec.len = 0;
      for (;;) {
        type = next(&l, &t, &tl);
        if (type == T_END || (type == T_SPECIAL && *t == '>')) break;
        if (type == T_SPECIAL && *t == ':') { spec.len = 0; continue; }   /* drop a source route */
        if (type == T_SPECIAL && *t == ',') continue;
        if (!add_text(&spec, type, t, tl, 0)) goto done;
      }
      if (!emit(out, &phrase, 1, &spec, count)) goto done;
      phrase.len = spec.len = 0;
      prev_word = 0;
      /* skip to the next separator */
      continue;
    }
    /* words and dots: both a display name and a bare addr-spec */
    {
      int word = type != T_SPECIAL;
      if (!add_text(&phrase, type, t, tl, word && prev_word)) goto done;
      prev_word = word;
    }
  }
  ok = 1;
done:
  sa_free(&phrase);
  sa_free(&spec);
  return ok;
}
