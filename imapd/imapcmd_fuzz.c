/* libFuzzer target: the IMAP command parsers never crash or read past the
 * command, never move backwards, and a failed parse leaves the position
 * where it was.  The input is a command as the reader assembles it; each
 * argument is tried with every parser in turn, as a command table would. */
#include <stdint.h>
#include <string.h>

#include "imapcmd.h"

#define CHECKPOS(call) do { size_t before_ = p.pos; \
  if (!(call)) { if (p.pos != before_ || !p.err) __builtin_trap(); } \
  else if (p.pos < before_ || p.pos > p.n) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  imap_parser p;
  imap_span sp;
  imap_range r[64];
  imap_seqset set = { r, 64, 0, 0 };
  sa s = SA_ZERO;
  uint32_t v;
  uint64_t w;
  time_t t;
  int nil, lit, rounds = 0;

  if (size && memchr(data, '\n', size)) {
    const char *nl = memchr(data, '\n', size);
    int ns;
    (void)imap_literal_at_end((const char *)data, (size_t)(nl - (const char *)data), &w, &ns);
  }
  imap_parser_init(&p, (const char *)data, size);
  if (!imap_tag(&p, &sp)) return 0;
  while (p.pos < p.n && rounds++ < 64) {
    size_t start = p.pos;
    CHECKPOS(imap_sp(&p));
    CHECKPOS(imap_char(&p, '('));
    CHECKPOS(imap_char(&p, ')'));
    CHECKPOS(imap_seqset_parse(&p, &set));
    if (set.n) {
      imap_seqset_resolve(&set, (uint32_t)size);
      (void)imap_seqset_has(&set, 3);
    }
    CHECKPOS(imap_flag(&p, &sp));
    CHECKPOS(imap_datetime(&p, &t));
    CHECKPOS(imap_date(&p, &t));
    CHECKPOS(imap_number64(&p, &w));
    CHECKPOS(imap_nznumber(&p, &v));
    CHECKPOS(imap_nstring(&p, &s, &nil));
    CHECKPOS(imap_string_raw(&p, &sp, &lit));
    CHECKPOS(imap_list_mailbox(&p, &s));
    CHECKPOS(imap_astring(&p, &s));
    CHECKPOS(imap_atom(&p, &sp));
    if (p.pos == start) p.pos++;   /* skip an octet no parser takes */
  }
  (void)imap_eol(&p);
  sa_free(&s);
  return 0;
}
