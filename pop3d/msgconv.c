#include "msgconv.h"

void msgconv_init(msgconv *m, int stuff, long top_lines)
{
  m->stuff = stuff;
  m->bol = 1;
  m->cr = 0;
  m->in_body = 0;
  m->limited = top_lines >= 0;
  m->lines = top_lines >= 0 ? (unsigned long)top_lines : 0;
  m->done = 0;
}

/* After a CRLF: track the header/body boundary and TOP's line budget. */
static void line_end(msgconv *m, int empty)
{
  if (!m->limited) return;
  if (!m->in_body) {
    if (empty) {
      m->in_body = 1;
      if (m->lines == 0) m->done = 1;
    }
    return;
  }
  if (m->lines > 0) m->lines--;
  if (m->lines == 0) m->done = 1;
}

size_t msgconv_feed(msgconv *m, const char *in, size_t n, char *out)
{
  size_t o = 0, i;
  for (i = 0; i < n && !m->done; i++) {
    char c = in[i];
    if (m->cr) {
      m->cr = 0;
      if (c == '\n') {
        int empty = m->bol;
        out[o++] = '\r';
        out[o++] = '\n';
        m->bol = 1;
        line_end(m, empty);
        continue;
      }
      out[o++] = '\r';       /* a CR inside a line is data */
      m->bol = 0;
    }
    if (c == '\r') { m->cr = 1; continue; }
    if (c == '\n') {
      int empty = m->bol;
      out[o++] = '\r';
      out[o++] = '\n';
      m->bol = 1;
      line_end(m, empty);
      continue;
    }
    if (m->bol && c == '.' && m->stuff) out[o++] = '.';
    out[o++] = c;
    m->bol = 0;
  }
  return o;
}

size_t msgconv_finish(msgconv *m, char *out)
{
  if (m->done) return 0;
  if (m->cr || !m->bol) {
    m->cr = 0;
    m->bol = 1;
    out[0] = '\r';
    out[1] = '\n';
    return 2;
  }
  return 0;
}
