#include "compose.h"

#include <string.h>

#include "header.h"
#include "msg.h"

int compose_header(const char *in, size_t n, int at_end, const compose_opts *o, sa *out, sa *rcpts,
                   size_t *count, size_t *body, const char **why, const char **field, size_t *field_len)
{
  size_t pos = 0;
  int sep, has_date = 0, has_msgid = 0, has_from = 0;
  hdr_field f;

  if (n >= 5 && !memcmp(in, "From ", 5)) {
    /* an mbox separator line, as some programs write it: not a field */
    const char *nl = memchr(in, '\n', n);
    pos = nl ? (size_t)(nl - in) + 1 : n;
  }
  while (hdr_next(in, n, &pos, &f, &sep)) {
    int bcc = hdr_is(&f, "bcc");
    /* A field running to the end of a cut-off input may go on beyond it. */
    if (pos == n && !at_end) return COMPOSE_E_LONG;
    if (o->take_rcpts && (bcc || hdr_is(&f, "to") || hdr_is(&f, "cc")) &&
        !hdr_addrlist(f.value, f.value_len, o->domain, rcpts, count, why)) {
      *field = f.name;
      *field_len = f.name_len;
      return COMPOSE_E_ADDR;
    }
    if (bcc || hdr_is(&f, "resent-bcc")) continue;
    if (hdr_is(&f, "date")) has_date = 1;
    if (hdr_is(&f, "message-id")) has_msgid = 1;
    if (hdr_is(&f, "from")) has_from = 1;
    if (!sa_catb(out, f.raw, f.raw_len)) return COMPOSE_E_NOMEM;
    if (f.raw[f.raw_len - 1] != '\n' && !sa_catc(out, '\n')) return COMPOSE_E_NOMEM;
  }
  *body = pos;
  if (!has_from && !msg_from_field(out, o->from_name, o->from_addr)) return COMPOSE_E_NOMEM;
  if (!has_date && (!sa_cats(out, "Date: ") || !sa_cats(out, o->date) || !sa_catc(out, '\n')))
    return COMPOSE_E_NOMEM;
  if (!has_msgid && (!sa_cats(out, "Message-ID: ") || !sa_cats(out, o->msgid) || !sa_catc(out, '\n')))
    return COMPOSE_E_NOMEM;
  if (!sa_catc(out, '\n')) return COMPOSE_E_NOMEM;
  return COMPOSE_OK;
}
