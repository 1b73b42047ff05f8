#include "data.h"

/* States.  BOL: at the start of a line (after CRLF, or at the start).
 * MID: inside a line.  CR: a CR was seen (pending).  DOT: a "." at BOL was
 * seen.  DOTCR: "." CR at BOL. */
enum { ST_BOL, ST_MID, ST_CR, ST_DOT, ST_DOTCR };

void data_init(data_state *d, int bdat, unsigned long long limit)
{
  d->bdat = bdat;
  d->st = ST_BOL;
  d->done = 0;
  d->bad = 0;
  d->line = 0;
  d->size = 0;
  d->limit = limit;
  d->eightbit = 0;
}

static void emit(data_state *d, char *out, size_t *o, char c)
{
  d->size++;
  if (d->limit && d->size > d->limit) { d->bad |= DATA_TOO_BIG; return; }
  if (d->bad) return;   /* a refused message needs no more output */
  out[(*o)++] = c;
}

/* One octet of line content (neither CR nor LF). */
static void content(data_state *d, char *out, size_t *o, char c)
{
  if (++d->line > DATA_LINE_MAX - 2) d->bad |= DATA_LONG_LINE;
  if (c == 0) d->bad |= DATA_NUL;
  if ((unsigned char)c >= 0x80) d->eightbit = 1;
  emit(d, out, o, c);
  d->st = ST_MID;
}

static void newline(data_state *d, char *out, size_t *o)
{
  emit(d, out, o, '\n');
  d->line = 0;
  d->st = ST_BOL;
}

size_t data_feed(data_state *d, const char *in, size_t n, char *out, size_t *outn)
{
  size_t i, o = 0;
  for (i = 0; i < n && !d->done; i++) {
    char c = in[i];
    switch (d->st) {
    case ST_BOL:
      if (c == '.' && !d->bdat) { d->st = ST_DOT; break; }
      /* fall through */
    case ST_MID:
      if (c == '\r') d->st = ST_CR;
      else if (c == '\n') {
        /* A bare LF: the message is refused, and this is not a line start. */
        d->bad |= DATA_BARE_LF;
        emit(d, out, &o, '\n');
        d->line = 0;
        d->st = ST_MID;
      } else content(d, out, &o, c);
      break;
    case ST_CR:
      if (c == '\n') newline(d, out, &o);
      else {
        d->bad |= DATA_BARE_CR;
        content(d, out, &o, '\r');
        if (c == '\r') d->st = ST_CR;
        else if (c == '\n') newline(d, out, &o);
        else content(d, out, &o, c);
      }
      break;
    case ST_DOT:
      if (c == '\r') d->st = ST_DOTCR;
      else if (c == '\n') {
        /* ".\n": a bare LF, never an end. */
        d->bad |= DATA_BARE_LF;
        d->st = ST_MID;
      } else content(d, out, &o, c);   /* the dot is dropped (unstuffed) */
      break;
    case ST_DOTCR:
      if (c == '\n') { d->done = 1; break; }
      d->bad |= DATA_BARE_CR;
      d->st = ST_MID;
      if (c == '\r') d->st = ST_CR;
      else if (c != '\n') content(d, out, &o, c);
      break;
    }
  }
  *outn = o;
  return i;
}

size_t data_end_bdat(data_state *d, char *out)
{
  size_t o = 0;
  if (d->st == ST_CR) {
    d->bad |= DATA_BARE_CR;
    emit(d, out, &o, '\r');
    d->st = ST_MID;
  }
  return o;
}
