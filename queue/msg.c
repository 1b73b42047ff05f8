#include "msg.h"

#include <string.h>

void msgf_init(msgfilter *m, int dot_ends)
{
  m->dot_ends = dot_ends;
  m->bol = 1;
  m->held_dot = m->held_cr = m->done = 0;
}

size_t msgf_feed(msgfilter *m, const char *in, size_t n, char *out)
{
  size_t i, o = 0;
  for (i = 0; i < n && !m->done; i++) {
    char c = in[i];
    if (m->held_cr) {
      m->held_cr = 0;
      if (c == '\n') {
        if (m->held_dot) { m->held_dot = 0; m->done = 1; break; }
        out[o++] = '\n';
        m->bol = 1;
        continue;
      }
      if (m->held_dot) { out[o++] = '.'; m->held_dot = 0; }
      out[o++] = '\r';
      m->bol = 0;
    }
    if (c == '\r') { m->held_cr = 1; continue; }
    if (m->held_dot) {
      m->held_dot = 0;
      if (c == '\n') { m->done = 1; break; }
      out[o++] = '.';
      m->bol = 0;
    }
    if (m->bol && c == '.' && m->dot_ends) { m->held_dot = 1; m->bol = 0; continue; }
    out[o++] = c;
    m->bol = c == '\n';
  }
  return o;
}

size_t msgf_end(msgfilter *m, char *out)
{
  size_t o = 0;
  if (m->held_dot) out[o++] = '.';
  if (m->held_cr) out[o++] = '\r';
  m->held_dot = m->held_cr = 0;
  return o;
}

static int printable_ascii(const char *s)
{
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) return 0;
  return 1;
}

static int cat_base64(sa *out, const unsigned char *s, size_t n)
{
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i;
  for (i = 0; i + 2 < n; i += 3) {
    char q[4] = { b64[s[i] >> 2], b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)],
                  b64[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)], b64[s[i + 2] & 63] };
    if (!sa_catb(out, q, 4)) return 0;
  }
  if (n - i == 1) {
    char q[4] = { b64[s[i] >> 2], b64[(s[i] & 3) << 4], '=', '=' };
    if (!sa_catb(out, q, 4)) return 0;
  } else if (n - i == 2) {
    char q[4] = { b64[s[i] >> 2], b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)], b64[(s[i + 1] & 15) << 2], '=' };
    if (!sa_catb(out, q, 4)) return 0;
  }
  return 1;
}

int msg_from_field(sa *out, const char *name, const char *addr)
{
  if (!sa_cats(out, "From: ")) return 0;
  if (name && *name) {
    if (printable_ascii(name)) {
      const char *p;
      if (!sa_catc(out, '"')) return 0;
      for (p = name; *p; p++) {
        if ((*p == '"' || *p == '\\') && !sa_catc(out, '\\')) return 0;
        if (!sa_catc(out, *p)) return 0;
      }
      if (!sa_catc(out, '"')) return 0;
    } else {
      /* One encoded word per 45 bytes keeps each under 75 characters
       * (RFC 2047 2); a UTF-8 sequence may be split between words, which
       * decoders join again as they concatenate adjacent words. */
      size_t len = strlen(name), i;
      for (i = 0; i < len; i += 45) {
        size_t k = len - i < 45 ? len - i : 45;
        if (i && !sa_cats(out, "\n ")) return 0;
        if (!sa_cats(out, "=?UTF-8?B?") || !cat_base64(out, (const unsigned char *)name + i, k) ||
            !sa_cats(out, "?=")) return 0;
      }
    }
    if (!sa_cats(out, " <") || !sa_cats(out, addr) || !sa_cats(out, ">\n")) return 0;
    return 1;
  }
  return sa_cats(out, addr) && sa_catc(out, '\n');
}
