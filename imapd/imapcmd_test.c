#include <string.h>

#include "imapcmd.h"
#include "test.h"

static imap_parser p;

static imap_parser *P(const char *s)
{
  imap_parser_init(&p, s, strlen(s));
  return &p;
}

static int span_is(imap_span a, const char *s)
{
  return a.len == strlen(s) && memcmp(a.s, s, a.len) == 0;
}

TEST(literal_markers)
{
  uint64_t n;
  int ns;
  CHECK(imap_literal_at_end("a APPEND INBOX {310}", 20, &n, &ns) == 1 && n == 310 && !ns);
  CHECK(imap_literal_at_end("a LOGIN {5+}", 12, &n, &ns) == 1 && n == 5 && ns);
  CHECK(imap_literal_at_end("a LOGIN {0}", 11, &n, &ns) == 1 && n == 0);
  CHECK(imap_literal_at_end("a LOGIN x}", 10, &n, &ns) == 0);
  CHECK(imap_literal_at_end("a NOOP", 6, &n, &ns) == 0);
  CHECK(imap_literal_at_end("a X {}", 6, &n, &ns) == -1);
  CHECK(imap_literal_at_end("a X {4294967296}", 16, &n, &ns) == -1);
  CHECK(imap_literal_at_end("a X {4294967295}", 16, &n, &ns) == 1 && n == 4294967295ULL);
  CHECK(imap_literal_at_end("a X ~{5}", 8, &n, &ns) == -1);
  CHECK(imap_literal_at_end("}", 1, &n, &ns) == 0);
}

TEST(tag_atom)
{
  imap_span t, a;
  CHECK(imap_tag(P("A001 NOOP"), &t) && span_is(t, "A001") && imap_sp(&p));
  CHECK(imap_atom(&p, &a) && imap_is(a, "noop") && imap_eol(&p));
  CHECK(!imap_tag(P("+x NOOP"), &t) && p.err && p.pos == 0);
  CHECK(!imap_tag(P(" NOOP"), &t));
  CHECK(imap_tag(P("a]b"), &t) && span_is(t, "a]b"));
  CHECK(!imap_tag(P("a*b"), &t) || t.len == 1);
  CHECK(!imap_atom(P("(x"), &a));
  CHECK(imap_sp(P("  x")) && p.pos == 1 && !imap_atom(&p, &a));
}

TEST(strings)
{
  sa s = SA_ZERO;
  imap_span raw;
  int lit, nil;
  CHECK(imap_astring(P("\"a \\\"q\\\" \\\\b\" rest"), &s) && s.len == 8 && memcmp(s.s, "a \"q\" \\b", 8) == 0);
  CHECK(imap_sp(&p));
  CHECK(imap_astring(P("{5}\r\nhe\"lo NEXT"), &s) && s.len == 5 && memcmp(s.s, "he\"lo", 5) == 0);
  CHECK(imap_sp(&p));
  CHECK(imap_astring(P("{3+}\r\nabc"), &s) && s.len == 3 && imap_eol(&p));
  CHECK(!imap_astring(P("{6}\r\nabc"), &s) && p.pos == 0);      /* short literal */
  CHECK(!imap_astring(P("{3}abc"), &s));                         /* no CRLF */
  CHECK(!imap_astring(P("\"abc"), &s));
  CHECK(!imap_astring(P("\"a\\nb\""), &s));                      /* bad escape */
  CHECK(!imap_astring(P("\"a\r\nb\""), &s));
  CHECK(!imap_astring(P("{3}\r\na\0b"), &s) || s.len != 3);
  CHECK(imap_astring(P("INBOX]x"), &s) && s.len == 7);
  CHECK(imap_list_mailbox(P("Work/%"), &s) && s.len == 6);
  CHECK(!imap_astring(P("Work/%"), &s) || s.len == 5);
  CHECK(imap_nstring(P("NIL"), &s, &nil) && nil);
  CHECK(imap_nstring(P("\"NIL\""), &s, &nil) && !nil && s.len == 3);
  CHECK(imap_string_raw(P("{4}\r\n1234"), &raw, &lit) && lit && span_is(raw, "1234"));
  CHECK(imap_string_raw(P("\"a\\\\\""), &raw, &lit) && !lit && span_is(raw, "a\\\\"));
  sa_free(&s);
}

TEST(literal_nul)
{
  sa s = SA_ZERO;
  imap_parser_init(&p, "{3}\r\na\0b", 8);
  CHECK(!imap_string(&p, &s));
  sa_free(&s);
}

TEST(numbers)
{
  uint32_t v;
  uint64_t w;
  CHECK(imap_number(P("0"), &v) && v == 0);
  CHECK(imap_number(P("4294967295"), &v) && v == 4294967295U);
  CHECK(!imap_number(P("4294967296"), &v) && p.pos == 0);
  CHECK(!imap_nznumber(P("0"), &v));
  CHECK(!imap_nznumber(P("012"), &v));
  CHECK(imap_nznumber(P("12 "), &v) && v == 12 && p.pos == 2);
  CHECK(imap_number64(P("9223372036854775807"), &w) && w == 9223372036854775807ULL);
  CHECK(!imap_number64(P("9223372036854775808"), &w));
}

TEST(seqsets)
{
  imap_range r[8];
  imap_seqset set = { r, 8, 0, 0 };
  CHECK(imap_seqset_parse(P("1:3,7,9:*,5"), &set) && set.n == 4 && imap_eol(&p));
  CHECK(r[2].lo == 9 && r[2].hi == 0);
  imap_seqset_resolve(&set, 12);
  CHECK(set.n == 4);
  CHECK(imap_seqset_has(&set, 1) && imap_seqset_has(&set, 3) && !imap_seqset_has(&set, 4));
  CHECK(imap_seqset_has(&set, 5) && !imap_seqset_has(&set, 6) && imap_seqset_has(&set, 7));
  CHECK(!imap_seqset_has(&set, 8) && imap_seqset_has(&set, 12) && !imap_seqset_has(&set, 13));
  CHECK(imap_seqset_parse(P("5:2"), &set));
  imap_seqset_resolve(&set, 3);
  CHECK(set.n == 1 && r[0].lo == 2 && r[0].hi == 5);
  CHECK(imap_seqset_parse(P("*"), &set));
  imap_seqset_resolve(&set, 0);
  CHECK(set.n == 0 && !imap_seqset_has(&set, 1));
  CHECK(imap_seqset_parse(P("*:4"), &set));
  imap_seqset_resolve(&set, 2);               /* 4:* with * = 2 is 2:4 */
  CHECK(set.n == 1 && r[0].lo == 2 && r[0].hi == 4);
  CHECK(imap_seqset_parse(P("$"), &set) && set.searchres);
  CHECK(!imap_seqset_parse(P("0"), &set));
  CHECK(!imap_seqset_parse(P("1,"), &set) && p.pos == 0);
  CHECK(!imap_seqset_parse(P("1:"), &set));
  CHECK(!imap_seqset_parse(P("1,2,3,4,5,6,7,8,9"), &set) && p.err);
  CHECK(!imap_seqset_parse(P("a"), &set));
}

TEST(flags)
{
  imap_span f;
  CHECK(imap_flag(P("\\Seen"), &f) && span_is(f, "\\Seen"));
  CHECK(imap_flag(P("$Forwarded)"), &f) && span_is(f, "$Forwarded"));
  CHECK(!imap_flag(P("\\"), &f) && p.pos == 0);
  CHECK(!imap_flag(P("(x"), &f));
}

TEST(dates)
{
  time_t t;
  CHECK(imap_date(P("1-Feb-1994"), &t) && t == 760060800);
  CHECK(imap_date(P("\"01-feb-1994\""), &t) && t == 760060800);
  CHECK(!imap_date(P("30-Feb-1994"), &t));
  CHECK(imap_date(P("29-Feb-2000"), &t) && t == 951782400);
  CHECK(!imap_date(P("29-Feb-1900"), &t));
  CHECK(!imap_date(P("1-Foo-1994"), &t));
  CHECK(!imap_date(P("1-Feb-94"), &t));
  CHECK(imap_datetime(P("\"17-Jul-1996 02:44:25 -0700\""), &t) && t == 837596665);
  CHECK(imap_datetime(P("\" 7-Jul-1996 02:44:25 +0000\""), &t) && t == 836707465);
  CHECK(!imap_datetime(P("\"17-Jul-1996 24:44:25 -0700\""), &t));
  CHECK(!imap_datetime(P("\"17-Jul-1996 02:44:25\""), &t) && p.pos == 0);
  CHECK(!imap_datetime(P("17-Jul-1996 02:44:25 -0700"), &t));
}

int main(void)
{
  RUN(literal_markers);
  RUN(tag_atom);
  RUN(strings);
  RUN(literal_nul);
  RUN(numbers);
  RUN(seqsets);
  RUN(flags);
  RUN(dates);
  return test_report();
}
