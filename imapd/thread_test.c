/* Unit tests for the base subject (subject.h) and threading (thread.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strrank.h"
#include "subject.h"
#include "test.h"
#include "thread.h"

static const char *base(const char *s, int *reply)
{
  static sa out;
  if (!subject_base(s, strlen(s), &out, reply)) return "(failed)";
  return out.s;
}

TEST(base_subject)
{
  int r;
  CHECK_STR(base("hello", &r), "hello"); CHECK(r == 0);
  CHECK_STR(base("Re: hello", &r), "hello"); CHECK(r == 1);
  CHECK_STR(base("RE: Re: re: Hello", &r), "hello"); CHECK(r == 1);
  CHECK_STR(base("Fwd: hello", &r), "hello"); CHECK(r == 1);
  CHECK_STR(base("FW: hello", &r), "hello"); CHECK(r == 1);
  CHECK_STR(base("fwd:hello", &r), "hello");
  CHECK_STR(base("Re[2]: hello", &r), "hello"); CHECK(r == 1);
  CHECK_STR(base("Re : hello", &r), "hello");
  CHECK_STR(base("[list] Re: hello", &r), "hello"); CHECK(r == 1);
  CHECK_STR(base("Re: [list] hello", &r), "hello");
  CHECK_STR(base("[list] hello", &r), "hello"); CHECK(r == 0);
  CHECK_STR(base("[list]", &r), "[list]");               /* a blob alone stays */
  CHECK_STR(base("hello (fwd)", &r), "hello"); CHECK(r == 1);
  CHECK_STR(base("hello (fwd) (FWD)  ", &r), "hello");
  CHECK_STR(base("[Fwd: hello]", &r), "hello"); CHECK(r == 1);
  CHECK_STR(base("re: [fwd: Re: hello (fwd)]", &r), "hello");
  CHECK_STR(base("  hello \t  world  ", &r), "hello world");
  CHECK_STR(base("Rebecca: hi", &r), "rebecca: hi"); CHECK(r == 0);
  CHECK_STR(base("Re:", &r), "");
  CHECK_STR(base("", &r), ""); CHECK(r == 0);
  CHECK_STR(base("=?utf-8?q?R=C3=A9sum=C3=A9?=", &r), "r\xc3\xa9sum\xc3\xa9");
  CHECK_STR(base("Re: =?utf-8?B?w4l0w6k=?=", &r), "\xc3\xa9t\xc3\xa9"); CHECK(r == 1);
  CHECK_STR(base("=?utf-8?q?Re=3A_hi?=", &r), "hi");     /* the marker may be encoded too */
}

/* A message as the tests write it: subjects and ids as text. */
typedef struct tmsg {
  uint32_t num;
  time_t date;
  const char *subject;
  int reply;
  const char *msgid, *refs, *inreplyto;
} tmsg;

static tmsg M(uint32_t num, time_t date, const char *subject, int reply, const char *id,
              const char *refs, const char *irt)
{
  tmsg m = { num, date, subject, reply, id, refs, irt };
  return m;
}

static sa flushed;

static void collect(const char *s, size_t n)
{
  if (!sa_catb(&flushed, s, n)) abort();
}

/* Either algorithm over tm[0..n-1], as IMAP would show it; with flush, the
 * output goes through collect() as it is made. */
static const char *run_with(const tmsg *tm, size_t n, int references, int flush)
{
  static sa out;
  thread_msg *m = calloc(n ? n : 1, sizeof *m);
  uint32_t *ids = calloc(n ? n : 1, sizeof *ids);
  strrank *rk = strrank_new(n);
  thread_refs *tr = thread_refs_new(n);
  thread_flush *fl = flush ? collect : 0;
  size_t i;
  int ok = m && ids && rk && tr;
  out.len = 0;
  flushed.len = 0;
  for (i = 0; ok && i < n; i++) {
    m[i].num = tm[i].num;
    m[i].date = tm[i].date;
    m[i].reply = tm[i].reply ? 1u : 0u;
    ok = strrank_add(rk, tm[i].subject, strlen(tm[i].subject), &ids[i]) &&
         thread_refs_add(tr, tm[i].msgid, tm[i].refs, tm[i].inreplyto);
  }
  ok = ok && strrank_finish(rk);
  for (i = 0; ok && i < n; i++) m[i].subject = strrank_rank(rk, ids[i]);
  ok = ok && (references ? thread_references(tr, m, n, &out, fl) : thread_orderedsubject(m, n, &out, fl));
  if (ok && flush) {
    ok = sa_catb(&flushed, out.s ? out.s : "", out.len) && sa_copyb(&out, flushed.s ? flushed.s : "", flushed.len);
  }
  ok = ok && sa_0(&out);
  free(m);
  free(ids);
  strrank_free(rk);
  thread_refs_free(tr);
  return ok ? out.s : "(failed)";
}

static const char *run(const tmsg *tm, size_t n, int references)
{
  return run_with(tm, n, references, 0);
}

static const char *refs(const tmsg *m, size_t n)
{
  return run(m, n, 1);
}

static const char *ordered(const tmsg *m, size_t n)
{
  return run(m, n, 0);
}

TEST(references)
{
  tmsg m[] = {
    M(1, 1, "hello", 0, "<a@x>", 0, 0),
    M(2, 2, "hello", 1, "<b@x>", "<a@x>", 0),
    M(3, 3, "hello", 1, "<c@x>", "<a@x> <b@x>", 0),
    M(4, 4, "hello", 1, "<d@x>", 0, "<a@x>"),           /* In-Reply-To alone */
    M(5, 5, "other", 0, "<e@x>", 0, 0),
    M(6, 6, "lost", 1, "<f@x>", "<gone@x>", 0),         /* parent never seen */
    M(7, 7, "other", 1, "<g@x>", 0, 0),                 /* a reply by subject only */
  };
  CHECK_STR(refs(m, 7), "(1 (2 3)(4))(5 7)(6)");
  /* order of arrival does not matter, dates do */
  {
    tmsg r[] = { m[2], m[1], m[0] };
    CHECK_STR(refs(r, 3), "(1 2 3)");
  }
  CHECK_STR(refs(m, 0), "");
}

TEST(references_dummies)
{
  tmsg m[] = {
    M(8, 8, "x", 0, "<h@x>", "<missing@x>", 0),
    M(9, 9, "y", 0, "<i@x>", "<missing@x>", 0),         /* siblings under a lost parent */
    M(10, 10, "same", 0, "<j@x>", 0, 0),
    M(11, 11, "same", 0, "<k@x>", 0, 0),                /* same subject, neither a reply */
    M(12, 12, "", 0, 0, 0, 0),                          /* no id, no subject */
    M(13, 13, "", 0, 0, 0, 0),
  };
  CHECK_STR(refs(m, 6), "((8)(9))((10)(11))(12)(13)");
}

TEST(references_bad_input)
{
  tmsg loop[] = {
    M(1, 1, "a", 0, "<a@x>", "<b@x>", 0),
    M(2, 2, "b", 0, "<b@x>", "<a@x>", 0),
    M(3, 3, "c", 0, "<a@x>", "<a@x> <a@x>", 0),         /* duplicate id, refers to itself */
    M(4, 4, "d", 0, "<>", "< >  <<x>  garbage <", 0),
  };
  const char *r = refs(loop, 4);
  CHECK(strcmp(r, "(failed)") != 0);
  CHECK(strstr(r, "1") && strstr(r, "2") && strstr(r, "3") && strstr(r, "4"));
  /* a chain longer than the depth bound: every message still shows */
  {
    size_t n = 3000, i, seen = 0;
    tmsg *c = calloc(n, sizeof *c);
    char (*ids)[32] = calloc(n, sizeof *ids), (*prev)[32] = calloc(n, sizeof *prev);
    const char *out, *p;
    CHECK(c && ids && prev);
    if (!c || !ids || !prev) return;
    for (i = 0; i < n; i++) {
      snprintf(ids[i], sizeof ids[i], "<m%zu@x>", i);
      if (i) snprintf(prev[i], sizeof prev[i], "<m%zu@x>", i - 1);
      c[i] = M((uint32_t)(i + 1), (time_t)i, "chain", i > 0, ids[i], i ? prev[i] : 0, 0);
    }
    out = refs(c, n);
    /* cut at the depth bound; the rest joins by its subject (a reply) */
    CHECK(strncmp(out, "(1 (2 3 4 ", 10) == 0);
    for (p = out; *p; p++)
      if (*p == ' ' || *p == '(') seen++;
    CHECK(seen >= n);
    free(c);
    free(ids);
    free(prev);
  }
}

TEST(orderedsubject)
{
  tmsg m[] = {
    M(1, 1, "b", 0, 0, 0, 0), M(2, 2, "a", 1, 0, 0, 0), M(3, 3, "a", 0, 0, 0, 0),
    M(4, 4, "b", 1, 0, 0, 0), M(5, 5, "a", 0, 0, 0, 0), M(6, 6, "c", 0, 0, 0, 0),
  };
  CHECK_STR(ordered(m, 6), "(1 4)(2 (3)(5))(6)");
  CHECK_STR(ordered(m, 0), "");
}

TEST(references_ids)
{
  /* message ids compare as octets: case counts */
  tmsg c[] = {
    M(1, 1, "upper", 0, "<Case@x>", 0, 0),
    M(2, 2, "lower", 0, "<case@x>", 0, 0),
    M(3, 3, "reply", 1, "<r@x>", "<Case@x>", 0),
  };
  CHECK_STR(refs(c, 3), "(1 3)(2)");
  /* a reply seen before its parent: the parent takes the dummy's place */
  {
    tmsg e[] = {
      M(1, 5, "b", 1, "<child@x>", "<root@x> <mid@x>", 0),
      M(2, 1, "a", 0, "<root@x>", 0, 0),
      M(3, 3, "c", 1, "<mid@x>", "<root@x>", 0),
    };
    CHECK_STR(refs(e, 3), "(2 3 1)");
  }
  /* In-Reply-To: only its first id is the parent */
  {
    tmsg e[] = {
      M(1, 1, "a", 0, "<a@x>", 0, 0),
      M(2, 2, "b", 0, "<b@x>", 0, 0),
      M(3, 3, "c", 0, "<c@x>", 0, "<a@x> <b@x>"),
    };
    CHECK_STR(refs(e, 3), "(1 3)(2)");
  }
  /* References wins over In-Reply-To; ids with white space inside the brackets */
  {
    tmsg e[] = {
      M(1, 1, "a", 0, "< a@x >", 0, 0),
      M(2, 2, "b", 0, "<b@x>", 0, 0),
      M(3, 3, "c", 0, "<c@x>", "<b@x>", "<a@x>"),
      M(4, 4, "d", 0, "<d@x>", "junk without ids", "<a@x>"),
    };
    CHECK_STR(refs(e, 4), "(1 4)(2 3)");
  }
}

TEST(references_many)
{
  /* 5000 messages in chains of ten and subjects shared by a chain: the
   * same threads whether the output is flushed as it goes or not */
  size_t n = 5000, i;
  tmsg *m = calloc(n, sizeof *m);
  char (*ids)[24] = calloc(n, sizeof *ids), (*prev)[24] = calloc(n, sizeof *prev), (*subj)[24] = calloc(n, sizeof *subj);
  sa whole = SA_ZERO;
  CHECK(m && ids && prev && subj);
  if (!m || !ids || !prev || !subj) return;
  for (i = 0; i < n; i++) {
    snprintf(ids[i], sizeof ids[i], "<%zu@bench>", i);
    snprintf(prev[i], sizeof prev[i], "<%zu@bench>", i - 1);
    snprintf(subj[i], sizeof subj[i], "topic %zu", i / 10);
    m[i] = M((uint32_t)(i + 1), (time_t)(n - i), subj[i], i % 10 != 0, ids[i], i % 10 ? prev[i] : 0, 0);
  }
  CHECK(sa_copys(&whole, refs(m, n)) && sa_0(&whole));
  CHECK(whole.len > 16384);
  CHECK_STR(run_with(m, n, 1, 1), whole.s);
  /* newest chain first (dates run backwards), each a chain of ten */
  CHECK(strncmp(whole.s, "(4991 4992 4993 4994 4995 4996 4997 4998 4999 5000)(4981 ", 57) == 0);
  CHECK(sa_copys(&whole, ordered(m, n)) && sa_0(&whole));
  CHECK_STR(run_with(m, n, 0, 1), whole.s);
  CHECK(strncmp(whole.s, "(5000 (4999)(4998)", 18) == 0);
  sa_free(&whole);
  free(m);
  free(ids);
  free(prev);
  free(subj);
}

static uint32_t rank_of(strrank *r, const char *s)
{
  uint32_t id = 0;
  CHECK(strrank_add(r, s, strlen(s), &id));
  return id;
}

TEST(strrank)
{
  strrank *r = strrank_new(4);
  char a[600], b[600], c[300];
  uint32_t i_b, i_a, i_b2, i_e, i_long1, i_long2, i_long1b, i_short, i_c;
  CHECK(r != 0);
  if (!r) return;
  memset(a, 'x', sizeof a - 1); a[sizeof a - 1] = 0;
  memcpy(b, a, sizeof b); b[500] = 'y';                  /* differs past STRRANK_KEEP */
  memcpy(c, a, sizeof c); c[sizeof c - 1] = 0;           /* a prefix of a, longer than kept */
  i_b = rank_of(r, "beta");
  i_a = rank_of(r, "alpha");
  i_b2 = rank_of(r, "beta");
  i_e = rank_of(r, "");
  i_long1 = rank_of(r, a);
  i_long2 = rank_of(r, b);
  i_long1b = rank_of(r, a);
  i_short = rank_of(r, "xx");
  i_c = rank_of(r, c);
  CHECK(i_b == i_b2 && i_long1 == i_long1b && i_long1 != i_long2 && i_c != i_long1);
  /* many more than expected: the table grows */
  {
    char s[32];
    int k;
    for (k = 0; k < 3000; k++) {
      snprintf(s, sizeof s, "s%05d", 2999 - k);
      (void)rank_of(r, s);
    }
  }
  CHECK(strrank_finish(r));
  CHECK(strrank_rank(r, i_e) == 0);
  CHECK(strrank_rank(r, i_a) < strrank_rank(r, i_b));
  CHECK(strrank_rank(r, i_b) == strrank_rank(r, i_b2));
  CHECK(strrank_rank(r, i_b) < strrank_rank(r, i_short));
  CHECK(strrank_rank(r, i_short) < strrank_rank(r, i_c));
  CHECK(strrank_rank(r, i_c) != strrank_rank(r, i_long1));  /* equal as far as kept: by hash */
  CHECK(strrank_rank(r, i_long1) != strrank_rank(r, i_long2));
  CHECK(strrank_rank(r, i_long1) == strrank_rank(r, i_long1b));
  {
    uint32_t id;
    CHECK(!strrank_add(r, "late", 4, &id));              /* nothing after ranking */
  }
  strrank_free(r);
  CHECK(strrank_hash("<a@x>", 5) != strrank_hash("<A@x>", 5));
  CHECK(strrank_hash("<a@x>", 5) == strrank_hash("<a@x>", 5));
}

int main(void)
{
  RUN(base_subject);
  RUN(references);
  RUN(references_dummies);
  RUN(references_bad_input);
  RUN(orderedsubject);
  RUN(references_ids);
  RUN(references_many);
  RUN(strrank);
  return test_report();
}
