/* The cache record format (cache.h): what is written reads back the same;
 * anything damaged, truncated or over a limit is refused, never trusted. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

TEST(struct_framing)
{
#define OK_(x) CHECK(cache_struct_ok(x, sizeof x - 1))
#define BAD(x) CHECK(!cache_struct_ok(x, sizeof x - 1))
  OK_("(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL)");
  OK_("((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 2 1)(\"A\" \"B\" NIL NIL NIL \"BASE64\" 4) \"MIXED\")");
  OK_("(\"a \\\" b\" {5}\r\n)\r\n( NIL)");
  BAD("");
  BAD("NIL");
  BAD("(NIL");
  BAD("(NIL))");
  BAD("(NIL) ");
  BAD("(NIL)(NIL)");
  BAD("(NIL  NIL)");
  BAD("(\"a\r\nb\")");
  BAD("(\"unterminated)");
  BAD("({9}\r\nshort)");
  BAD("({5}\n12345)");
  BAD("(NIL\r\n* OK forged)");
#undef OK_
#undef BAD
}

TEST(key)
{
  CHECK(cache_key_len("123.M1.h,U=5.9:2,S") == strlen("123.M1.h,U=5.9"));
  CHECK(cache_key_len("123.M1.h") == 8);
}

/* The file of a folder: entries put by one session are found by the
 * next; records of removed messages are dropped when they are most of the
 * file; garbage appended makes the file rewritten with what was good. */
static char dir[256];

static long long file_size(const char *name)
{
  char p[512];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static void age_dirs(void)
{
  char p[512];
  struct timespec ts[2];
  clock_gettime(CLOCK_REALTIME, &ts[0]);
  ts[0].tv_sec -= 60;
  ts[1] = ts[0];
  snprintf(p, sizeof p, "%s/cur", dir); utimensat(AT_FDCWD, p, ts, 0);
  snprintf(p, sizeof p, "%s/new", dir); utimensat(AT_FDCWD, p, ts, 0);
}

static size_t found(mbox *mb)
{
  size_t i, n = 0;
  cache_entry e;
  cache_index(mb);
  for (i = 0; i < mb->n; i++)
    if (cache_get(mb, i, &e) && e.uid == mb->m[i].uid && e.size == 1000 + mb->m[i].uid) n++;
  return n;
}

TEST(folder_file)
{
  char p[512];
  mbox mb;
  cache_entry e;
  size_t i;
  long long full;
  FILE *f;
  snprintf(dir, sizeof dir, "/tmp/yubin-cache-test.%ld", (long)getpid());
  mkdir(dir, 0700);
  snprintf(p, sizeof p, "%s/cur", dir); mkdir(p, 0700);
  snprintf(p, sizeof p, "%s/new", dir); mkdir(p, 0700);
  snprintf(p, sizeof p, "%s/tmp", dir); mkdir(p, 0700);
  for (i = 0; i < 1100; i++) {
    snprintf(p, sizeof p, "%s/new/%zu.C%zu.h", dir, 3000 + i, i);
    if ((f = fopen(p, "w"))) { fputs("Subject: x\n\nbody\n", f); fclose(f); }
  }
  CHECK(mbox_open(&mb, dir, 0) && mb.n == 1100);
  for (i = 0; i < mb.n; i++) {
    memset(&e, 0, sizeof e);
    e.size = 1000 + mb.m[i].uid;
    e.field[1] = "x";
    e.flen[1] = 1;
    e.bs = e.body = "(NIL)";
    e.bslen = e.bodylen = 5;
    cache_put(&mb, i, &e);
  }
  CHECK(found(&mb) == 1100);
  mbox_close(&mb);
  full = file_size(CACHE_FILE);
  CHECK(full > 1100 * 50);

  CHECK(mbox_open(&mb, dir, 0));
  CHECK(found(&mb) == 1100);            /* the next session finds them all */
  mbox_close(&mb);

  /* cur/ unchanged for a while: the saved listing carries the offsets */
  age_dirs();
  CHECK(mbox_open(&mb, dir, 0));        /* lists cur/, saves the listing */
  CHECK(found(&mb) == 1100);            /* scans the cache: saved again, with offsets */
  mbox_close(&mb);
  CHECK(mbox_open(&mb, dir, 0));
  CHECK(mb.m[0].cache_off != 0 && mb.m[1099].cache_off != 0);   /* no scan needed */
  CHECK(found(&mb) == 1100);
  mbox_close(&mb);
  /* the cache file replaced: the listing's offsets are not used */
  snprintf(p, sizeof p, "%s/%s", dir, CACHE_FILE);
  {
    char *good = 0;
    long len = 0;
    if ((f = fopen(p, "rb"))) {
      fseek(f, 0, SEEK_END);
      len = ftell(f);
      rewind(f);
      if (len > 0 && (good = malloc((size_t)len)) && fread(good, 1, (size_t)len, f) != (size_t)len) len = 0;
      fclose(f);
    }
    CHECK(unlink(p) == 0);
    if (good && (f = fopen(p, "wb"))) {   /* same bytes, another file: offsets still checked */
      fwrite(good, 1, (size_t)len, f);
      fclose(f);
    }
    free(good);
  }
  CHECK(mbox_open(&mb, dir, 0));
  CHECK(found(&mb) == 1100);
  for (i = 0; i < 1050; i++) CHECK(mbox_path(&mb, i, p, sizeof p) && unlink(p) == 0);
  mbox_close(&mb);
  CHECK(mbox_open(&mb, dir, 0) && mb.n == 50);
  CHECK(found(&mb) == 50);              /* mostly stale: rewritten with the 50 */
  mbox_close(&mb);
  CHECK(file_size(CACHE_FILE) > 0 && file_size(CACHE_FILE) < full / 10);

  snprintf(p, sizeof p, "%s/%s", dir, CACHE_FILE);
  if ((f = fopen(p, "a"))) { fputs("\x30\x01\x00\x00 garbage after the records", f); fclose(f); }
  CHECK(mbox_open(&mb, dir, 0));
  CHECK(found(&mb) == 50);
  mbox_close(&mb);
  CHECK(mbox_open(&mb, dir, 0));
  CHECK(found(&mb) == 50);
  mbox_close(&mb);
  CHECK(file_size(CACHE_FILE) < full / 10);
  snprintf(p, sizeof p, "rm -rf '%s'", dir);
  CHECK(system(p) == 0);
}

int main(void)
{
  RUN(round_trip);
  RUN(damage_refused);
  RUN(limits);
  RUN(header);
  RUN(key);
  RUN(struct_framing);
  RUN(folder_file);
  return test_report();
}
