#include "dsn.h"

#include <string.h>

#include "datefmt.h"

/* printable ASCII only: texts from remote servers go into headers */
static int cat_safe(sa *out, const char *s)
{
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (!sa_catc(out, (c >= 32 && c < 127) ? (char)c : '?')) return 0;
  }
  return 1;
}

size_t dsn_header_len(const char *msg, size_t n)
{
  size_t pos = 0, last = 0;
  while (pos < n) {
    const char *nl = memchr(msg + pos, '\n', n - pos);
    size_t end = nl ? (size_t)(nl - msg) + 1 : n;
    if (end > DSN_HEADERS_MAX) return last;
    if (end - pos == 1 || (end - pos == 2 && msg[pos] == '\r')) return pos;
    last = end;
    pos = end;
  }
  return n;
}

int dsn_build(sa *o, const dsn_in *in)
{
  char date[DATEFMT_MAX];
  size_t i, hl;
  int expired = 0;

  for (i = 0; i < in->nfail; i++) if (in->fail[i].status[0] == '4') expired = 1;

  if (!(sa_cats(o, "From: MAILER-DAEMON@") && cat_safe(o, in->me) &&
        sa_cats(o, "\nTo: ") && cat_safe(o, in->to) &&
        sa_cats(o, in->doublebounce ? "\nSubject: failure notice (double bounce)\n"
                                    : "\nSubject: failure notice\n") &&
        sa_cats(o, "Date: ") && sa_cats(o, datefmt_rfc5322(in->now, date)) &&
        sa_cats(o, "\nMessage-ID: <") && sa_cats(o, in->id) && sa_catc(o, '.') &&
        sa_cats(o, in->boundary) && sa_cats(o, ".dsn@") && cat_safe(o, in->me) &&
        sa_cats(o, ">\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
                   "Content-Type: multipart/report; report-type=delivery-status;\n"
                   "\tboundary=\"") && sa_cats(o, in->boundary) &&
        sa_cats(o, "\"\n\nThis is a MIME-encapsulated message.\n\n--") && sa_cats(o, in->boundary) &&
        sa_cats(o, "\nContent-Type: text/plain; charset=us-ascii\n"
                   "Content-Description: Notification\n\n"
                   "Hi. This is the yubin mail system at ") && cat_safe(o, in->me) &&
        sa_cats(o, ".\n\n")))
    return 0;
  if (in->doublebounce) {
    if (!sa_cats(o, "A message with an empty (null) sender could not be delivered,\n"
                    "so it comes to you, the postmaster.\n\n")) return 0;
  } else {
    if (!sa_cats(o, "I'm afraid I wasn't able to deliver your message to the following\n"
                    "addresses.  This is a permanent error; I've given up.\n\n")) return 0;
  }
  if (expired && !sa_cats(o, "Some addresses kept failing temporarily until the message had been\n"
                             "in the queue too long.\n\n")) return 0;
  for (i = 0; i < in->nfail; i++) {
    const failure *f = &in->fail[i];
    if (!(sa_catc(o, '<') && cat_safe(o, f->rcpt) && sa_cats(o, ">:\n")))
      return 0;
    if (strcmp(f->host, "-") != 0 &&
        !(sa_cats(o, "  ") && cat_safe(o, f->host) && sa_cats(o, " said:\n")))
      return 0;
    if (!(sa_cats(o, "  ") && cat_safe(o, f->text) && sa_cats(o, "\n\n"))) return 0;
  }
  if (!(sa_cats(o, "--") && sa_cats(o, in->boundary) &&
        sa_cats(o, "\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; ") &&
        cat_safe(o, in->me) && sa_cats(o, "\nArrival-Date: ") &&
        sa_cats(o, datefmt_rfc5322(in->arrival, date)) && sa_catc(o, '\n')))
    return 0;
  for (i = 0; i < in->nfail; i++) {
    const failure *f = &in->fail[i];
    int remote = strcmp(f->host, "-") != 0;
    if (!(sa_cats(o, "\nFinal-Recipient: rfc822; ") && cat_safe(o, f->rcpt) &&
          sa_cats(o, "\nAction: failed\nStatus: ") && cat_safe(o, f->status) && sa_catc(o, '\n')))
      return 0;
    if (remote && !(sa_cats(o, "Remote-MTA: dns; ") && cat_safe(o, f->host) && sa_catc(o, '\n')))
      return 0;
    if (!(sa_cats(o, "Diagnostic-Code: smtp; ") &&
          cat_safe(o, f->text) && sa_catc(o, '\n')))
      return 0;
  }
  hl = dsn_header_len(in->orig, in->origlen);
  if (!(sa_cats(o, "\n--") && sa_cats(o, in->boundary) &&
        sa_cats(o, "\nContent-Type: text/rfc822-headers\n"
                   "Content-Description: Undelivered Message Headers\n\n") &&
        sa_catb(o, in->orig, hl)))
    return 0;
  if (hl && in->orig[hl - 1] != '\n' && !sa_catc(o, '\n')) return 0;
  return sa_cats(o, "\n--") && sa_cats(o, in->boundary) && sa_cats(o, "--\n");
}
