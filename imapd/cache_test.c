/* The cache record format (cache.h): what is written reads back the same;
 * anything damaged, truncated or over a limit is refused, never trusted. */
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "test.h"

static void sample(cache_entry *e)
{
  memset(e, 0, sizeof *e);
  e->uid = 42;
  e->ino = 0x1122334455667788ULL;
  e->size = 1234;
  e->mtime = -5;
  e->key = "1700000000.M1P2.host,S=1200,U=7.42";
  e->keylen = strlen(e->key);
  e->field[0] = "Mon, 23 Nov 2026 10:00:00 +0000";
  e->flen[0] = strlen(e->field[0]);
  e->field[1] = "";          /* present and empty: not the same as absent */
  e->flen[1] = 0;
  e->field[2] = "A <a@example.com>,\r\n\tB <b@example.com>";
  e->flen[2] = strlen(e->field[2]);
  e->bs = "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL)";
  e->bslen = strlen(e->bs);
  e->body = "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 10 1)";
  e->bodylen = strlen(e->body);
}

TEST(round_trip)
{
  cache_entry e, d;
  sa out = SA_ZERO;
  size_t k;
  sample(&e);
  CHECK(cache_encode(&e, &out));
  CHECK(cache_decode(out.s, out.len, &d) == (long)out.len);
  CHECK(d.uid == 42 && d.ino == e.ino && d.size == 1234 && d.mtime == -5);
  CHECK(d.keylen == e.keylen && memcmp(d.key, e.key, e.keylen) == 0);
  for (k = 0; k < CACHE_FIELDS; k++) {
    CHECK((d.field[k] == 0) == (e.field[k] == 0));
    if (e.field[k]) CHECK(d.flen[k] == e.flen[k] && memcmp(d.field[k], e.field[k], e.flen[k]) == 0);
  }
  CHECK(d.bslen == e.bslen && memcmp(d.bs, e.bs, e.bslen) == 0);
  CHECK(d.bodylen == e.bodylen && memcmp(d.body, e.body, e.bodylen) == 0);
  /* two records in a row: each read on its own */
  CHECK(cache_encode(&e, &out));
  CHECK(cache_decode(out.s + out.len / 2, out.len / 2, &d) == (long)(out.len / 2));
  sa_free(&out);
}

TEST(damage_refused)
{
  cache_entry e, d;
  sa out = SA_ZERO;
  size_t i;
  sample(&e);
  CHECK(cache_encode(&e, &out));
  /* truncated: "more needed", never a record */
  for (i = 0; i < out.len; i++) CHECK(cache_decode(out.s, i, &d) == 0);
  /* any one byte changed: refused (the length byte may also ask for more) */
  for (i = 0; i < out.len; i++) {
    long r;
    out.s[i] ^= 0x20;
    r = cache_decode(out.s, out.len, &d);
    CHECK(r == -1 || (i < 4 && r == 0));
    out.s[i] ^= 0x20;
  }
  CHECK(cache_decode(out.s, out.len, &d) == (long)out.len);
  /* a length over the limit is refused before anything is read */
  out.s[0] = out.s[1] = out.s[2] = out.s[3] = (char)0xff;
  CHECK(cache_decode(out.s, out.len, &d) == -1);
  sa_free(&out);
}

TEST(limits)
{
  cache_entry e;
  sa out = SA_ZERO;
  char *big = malloc(CACHE_STRUCT_MAX + 2);
  CHECK(big != 0);
  if (!big) return;
  memset(big, 'x', CACHE_STRUCT_MAX + 1);
  sample(&e);
  e.field[3] = big;
  e.flen[3] = CACHE_FIELD_MAX + 1;
  CHECK(!cache_encode(&e, &out) && out.len == 0);
  sample(&e);
  e.bs = big;
  e.bslen = CACHE_STRUCT_MAX + 1;
  CHECK(!cache_encode(&e, &out) && out.len == 0);
  sample(&e);
  e.uid = 0;
  CHECK(!cache_encode(&e, &out));
  /* the largest record there can be still fits the limit */
  sample(&e);
  e.key = big;
  e.keylen = CACHE_KEY_MAX;
  for (size_t k = 0; k < CACHE_FIELDS; k++) { e.field[k] = big; e.flen[k] = CACHE_FIELD_MAX; }
  e.bs = e.body = big;
  e.bslen = e.bodylen = CACHE_STRUCT_MAX;
  CHECK(cache_encode(&e, &out) && out.len == CACHE_RECORD_MAX);
  free(big);
  sa_free(&out);
}

TEST(header)
{
  char h[CACHE_HEADER_LEN];
  cache_header(h, 1700000000u);
  CHECK(cache_header_ok(h, sizeof h, 1700000000u));
  CHECK(!cache_header_ok(h, sizeof h, 1700000001u));   /* another UIDVALIDITY */
  CHECK(!cache_header_ok(h, sizeof h - 1, 1700000000u));
  h[17] ^= 1;                                            /* another version */
  CHECK(!cache_header_ok(h, sizeof h, 1700000000u));
}

TEST(key)
{
  CHECK(cache_key_len("123.M1.h,U=5.9:2,S") == strlen("123.M1.h,U=5.9"));
  CHECK(cache_key_len("123.M1.h") == 8);
}

int main(void)
{
  RUN(round_trip);
  RUN(damage_refused);
  RUN(limits);
  RUN(header);
  RUN(key);
  return test_report();
}
