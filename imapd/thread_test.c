/* Unit tests for the base subject (subject.h) and threading (thread.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static thread_msg M(uint32_t num, time_t date, const char *subject, int reply, const char *id,
                    const char *refs, const char *irt)
{
  thread_msg m = { num, date, subject, reply, id, refs, irt };
  return m;
}

static const char *refs(const thread_msg *m, size_t n)
{
  static sa out;
  out.len = 0;
  if (!thread_references(m, n, &out) || !sa_0(&out)) return "(failed)";
  return out.s;
}

static const char *ordered(const thread_msg *m, size_t n)
{
  static sa out;
  out.len = 0;
  if (!thread_orderedsubject(m, n, &out) || !sa_0(&out)) return "(failed)";
  return out.s;
}

TEST(references)
{
  thread_msg m[] = {
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
    thread_msg r[] = { m[2], m[1], m[0] };
    CHECK_STR(refs(r, 3), "(1 2 3)");
  }
  CHECK_STR(refs(m, 0), "");
}

TEST(references_dummies)
{
  thread_msg m[] = {
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
  thread_msg loop[] = {
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
    thread_msg *c = calloc(n, sizeof *c);
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
  thread_msg m[] = {
    M(1, 1, "b", 0, 0, 0, 0), M(2, 2, "a", 1, 0, 0, 0), M(3, 3, "a", 0, 0, 0, 0),
    M(4, 4, "b", 1, 0, 0, 0), M(5, 5, "a", 0, 0, 0, 0), M(6, 6, "c", 0, 0, 0, 0),
  };
  CHECK_STR(ordered(m, 6), "(1 4)(2 (3)(5))(6)");
  CHECK_STR(ordered(m, 0), "");
}

int main(void)
{
  RUN(base_subject);
  RUN(references);
  RUN(references_dummies);
  RUN(references_bad_input);
  RUN(orderedsubject);
  return test_report();
}
