#include <string.h>

#include "mime.h"
#include "test.h"

static mime_part parts[64];
static mime_msg m;

static int parse(const char *s)
{
  return mime_parse(&m, s, strlen(s), parts, sizeof parts / sizeof parts[0]);
}

static int span_is(mime_span sp, const char *s)
{
  return sp.len == strlen(s) && memcmp(sp.s, s, sp.len) == 0;
}

TEST(plain_default)
{
  const char *msg = "Subject: hi\r\nFrom: a@b\r\n\r\nline one\r\nline two\r\n";
  CHECK(parse(msg));
  CHECK(m.count == 1);
  CHECK(mime_is(parts[0].type, "TEXT"));
  CHECK(mime_is(parts[0].subtype, "plain"));
  CHECK(parts[0].type_default);
  CHECK(parts[0].lines == 2);
  CHECK(span_is(parts[0].body, "line one\r\nline two\r\n"));
  CHECK(parts[0].header.len == strlen("Subject: hi\r\nFrom: a@b\r\n\r\n"));
  CHECK(mime_section(&m, 0, "1", 1) == 0);
  CHECK(mime_section(&m, 0, "2", 1) == -1);
  CHECK(mime_section(&m, 0, "1.1", 3) == -1);
}

TEST(ctype_params)
{
  sa v = SA_ZERO;
  const char *msg = "Content-Type: Text/HTML (a comment) ;\r\n charset=\"utf-8\"; format=flowed;"
                    " name=\"a \\\"b\\\".txt\"\r\nContent-Transfer-Encoding:  Base64 \r\n\r\nx";
  CHECK(parse(msg));
  CHECK(span_is(parts[0].type, "Text"));
  CHECK(span_is(parts[0].subtype, "HTML"));
  CHECK(!parts[0].type_default);
  CHECK(span_is(parts[0].encoding, "Base64"));
  CHECK(mime_param_get(parts[0].params, "CHARSET", &v) && sa_0(&v));
  CHECK_STR(v.s, "utf-8");
  CHECK(mime_param_get(parts[0].params, "format", &v) && sa_0(&v));
  CHECK_STR(v.s, "flowed");
  CHECK(mime_param_get(parts[0].params, "name", &v) && sa_0(&v));
  CHECK_STR(v.s, "a \"b\".txt");
  CHECK(!mime_param_get(parts[0].params, "boundary", &v));
  CHECK(parts[0].lines == 1);
  sa_free(&v);
}

static const char *nested =
  "From: x@y\n"
  "Content-Type: multipart/mixed; boundary=\"outer b\"\n"
  "\n"
  "preamble\n"
  "--outer b\n"
  "Content-Type: multipart/alternative; boundary=inner\n"
  "\n"
  "--inner\n"
  "\n"
  "plain text\n"
  "--inner\n"
  "Content-Type: text/html\n"
  "\n"
  "<p>html</p>\n"
  "--inner--\n"
  "--outer b  \n"
  "Content-Type: message/rfc822\n"
  "Content-Disposition: attachment; filename=m.eml\n"
  "\n"
  "Subject: inner\n"
  "Content-Type: multipart/mixed; boundary=z\n"
  "\n"
  "--z\n"
  "Content-Type: image/png\n"
  "Content-Transfer-Encoding: base64\n"
  "\n"
  "AAAA\n"
  "--z--\n"
  "--outer b--\n"
  "epilogue\n";

TEST(nested_tree)
{
  int a, p;
  mime_span tok, rest;
  sa v = SA_ZERO;
  CHECK(parse(nested));
  CHECK(parts[0].is_multipart);
  CHECK(parts[0].nchildren == 2);
  a = mime_section(&m, 0, "1", 1);
  CHECK(a > 0 && parts[a].is_multipart && mime_is(parts[a].subtype, "alternative"));
  CHECK(parts[a].nchildren == 2);
  p = mime_section(&m, 0, "1.1", 3);
  CHECK(p > 0 && parts[p].type_default && span_is(parts[p].body, "plain text"));
  CHECK(parts[p].lines == 1);
  p = mime_section(&m, 0, "1.2", 3);
  CHECK(p > 0 && mime_is(parts[p].subtype, "html") && span_is(parts[p].body, "<p>html</p>"));
  CHECK(mime_section(&m, 0, "1.3", 3) == -1);
  p = mime_section(&m, 0, "2", 1);
  CHECK(p > 0 && parts[p].is_message && mime_is(parts[p].type, "message"));
  CHECK(mime_first_token(parts[p].disposition, &tok, &rest) && span_is(tok, "attachment"));
  CHECK(mime_param_get(rest, "filename", &v) && v.len == 5 && memcmp(v.s, "m.eml", 5) == 0);
  /* 2.1 is the first part of the encapsulated multipart */
  a = mime_section(&m, 0, "2.1", 3);
  CHECK(a > 0 && mime_is(parts[a].type, "image") && span_is(parts[a].body, "AAAA"));
  CHECK(span_is(parts[a].encoding, "base64"));
  CHECK(mime_section(&m, 0, "2.2", 3) == -1);
  CHECK(mime_section(&m, 0, "2.1.1", 5) == -1);
  CHECK(mime_section(&m, 0, "01", 2) == -1);
  CHECK(mime_section(&m, 0, "1.", 2) == -1);
  CHECK(mime_section(&m, 0, "", 0) == -1);
  sa_free(&v);
}

TEST(message_simple_body)
{
  const char *msg = "Content-Type: message/rfc822\n\nSubject: in\n\nbody\n";
  int p;
  CHECK(parse(msg));
  CHECK(m.count == 2 && parts[0].is_message);
  CHECK(mime_section(&m, 0, "1", 1) == 0);
  p = mime_section(&m, 0, "1.1", 3);
  CHECK(p == 1 && span_is(parts[p].body, "body\n"));
}

TEST(digest_default)
{
  const char *msg = "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: a\n\nA\n--d--\n";
  int p;
  CHECK(parse(msg));
  p = mime_section(&m, 0, "1", 1);
  CHECK(p > 0 && parts[p].type_default && mime_is(parts[p].type, "message") && parts[p].is_message);
}

TEST(unterminated_and_bad)
{
  const char *msg = "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nA\n--b\n\nB unterminated";
  int p;
  CHECK(parse(msg));
  CHECK(parts[0].nchildren == 2);
  p = mime_section(&m, 0, "2", 1);
  CHECK(p > 0 && span_is(parts[p].body, "B unterminated"));
  /* multipart without a boundary is a leaf */
  CHECK(parse("Content-Type: multipart/mixed\n\n--b\n\nA\n"));
  CHECK(m.count == 1 && !parts[0].is_multipart);
  /* garbage content type falls back to text/plain */
  CHECK(parse("Content-Type: /\n\nA\n"));
  CHECK(parts[0].type_default && mime_is(parts[0].subtype, "plain"));
  /* a boundary longer than 70 is unusable */
  CHECK(parse("Content-Type: multipart/mixed; boundary=0123456789012345678901234567890123456789"
              "01234567890123456789012345678901\n\n"));
  CHECK(!parts[0].is_multipart);
  /* no header at all */
  CHECK(parse("just text\n"));
  CHECK(parts[0].header.len == 0 && parts[0].lines == 1);
  CHECK(parse(""));
  CHECK(m.count == 1 && parts[0].lines == 0);
}

TEST(limits)
{
  static char big[MIME_DEPTH_MAX * 64 + 64];
  size_t o = 0;
  int i;
  mime_part few[3];
  for (i = 0; i < MIME_DEPTH_MAX + 5; i++)
    o += (size_t)snprintf(big + o, sizeof big - o, "Content-Type: message/rfc822\n\n");
  CHECK(parse(big));
  CHECK(m.count == MIME_DEPTH_MAX + 1);
  CHECK(mime_parse(&m, nested, strlen(nested), few, 3));
  CHECK(m.count == 3);
  CHECK(!mime_parse(&m, nested, strlen(nested), few, 0));
}

int main(void)
{
  RUN(plain_default);
  RUN(ctype_params);
  RUN(nested_tree);
  RUN(message_simple_body);
  RUN(digest_default);
  RUN(unterminated_and_bad);
  RUN(limits);
  return test_report();
}
