#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "folders.h"
#include "mailbox.h"
#include "maildir.h"
#include "test.h"

static char md[256];

static int m(const char *pat, const char *name) { return folder_match(pat, strlen(pat), name, strlen(name)); }

TEST(match)
{
  CHECK(m("*", "a.b.c") && m("%", "a") && !m("%", "a.b") && m("a.%", "a.b") && !m("a.%", "a.b.c"));
  CHECK(m("a*c", "a.b.c") && !m("a%c", "a.b.c") && m("a%c", "abc"));
  CHECK(m("inbox", "INBOX") && m("Inbox.%", "INBOX.x") && !m("inbox", "Inbox2"));
  CHECK(!m("", "a") && m("", ""));
  /* many stars against a long name stays bounded */
  CHECK(!m("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void mk(const char *name)
{
  char p[512];
  snprintf(p, sizeof p, "%s/.%s", md, name);
  mkdir(p, 0700);
  maildir_make(p);
}

static void put(const char *folder, const char *sub, const char *name)
{
  char p[600];
  FILE *f;
  snprintf(p, sizeof p, "%s/%s%s/%s/%s", md, folder ? "." : "", folder ? folder : "", sub, name);
  if ((f = fopen(p, "w"))) { fputs("Subject: x\n\nbody\n", f); fclose(f); }
}

static const folder_entry *get(const folder_list *l, const char *name)
{
  size_t i;
  for (i = 0; i < l->n; i++)
    if (!strcmp(l->e[i].name, name)) return &l->e[i];
  return 0;
}

TEST(list_status_rename)
{
  folder_list l;
  const folder_entry *e;
  folder_status st;
  char p[600];
  FILE *f;
  snprintf(md, sizeof md, "/tmp/yubin-folders-test.%ld", (long)getpid());
  maildir_make(md);
  mk("a.b.c");
  mk("x");
  snprintf(p, sizeof p, "%s/subscriptions", md);
  if ((f = fopen(p, "w"))) { fputs("a.b\nnone\nx\n", f); fclose(f); }
  snprintf(p, sizeof p, "%s/.customflags", md);
  if ((f = fopen(p, "w"))) fclose(f);
  CHECK(folder_list_build(&l, md));
  CHECK(l.n == 6 && !strcmp(l.e[0].name, "INBOX"));
  CHECK((e = get(&l, "a")) && !e->exists && e->children && e->subchildren && !e->subscribed);
  CHECK((e = get(&l, "a.b")) && !e->exists && e->subscribed && e->children && !e->subchildren);
  CHECK((e = get(&l, "a.b.c")) && e->exists && !e->children);
  CHECK((e = get(&l, "none")) && !e->exists && e->subscribed);
  CHECK((e = get(&l, "x")) && e->exists && e->subscribed && !e->children);
  folder_list_free(&l);

  /* STATUS from the names: two in new/, one seen in cur/ with its UID */
  put(0, "new", "1.A.h");
  put(0, "new", "2.B.h");
  {
    mbox mb;
    CHECK(mbox_open(&mb, md, 0) && mb.n == 2 && mbox_set_flags(&mb, 0, MF_SEEN));
    mbox_close(&mb);
  }
  put(0, "new", "3.C.h");
  CHECK(folder_status_get(md, &st));
  CHECK(st.messages == 3 && st.unseen == 2 && st.recent == 1 && st.uidnext == 4 && st.uidvalidity);

  /* RENAME with children; not onto an existing name; not into itself */
  mk("a");
  CHECK(folder_rename(md, "a", "q"));
  snprintf(p, sizeof p, "%s/.q.b.c/cur", md);
  CHECK(access(p, F_OK) == 0);
  snprintf(p, sizeof p, "%s/subscriptions", md);
  if ((f = fopen(p, "r"))) {
    char buf[64] = { 0 };
    CHECK(fread(buf, 1, sizeof buf - 1, f) > 0);
    CHECK_STR(buf, "q.b\nnone\nx\n");
    fclose(f);
  }
  CHECK(!folder_rename(md, "q", "x"));        /* x exists */
  CHECK(!folder_rename(md, "q", "q.z"));
  CHECK(!folder_rename(md, "nothing", "y"));

  /* RENAME INBOX: messages, UIDs and UIDVALIDITY move; INBOX stays, empty */
  CHECK(folder_rename_inbox(md, "old"));
  CHECK(!folder_rename_inbox(md, "old"));
  {
    mbox a, b;
    CHECK(mbox_open(&a, md, 0) && a.n == 0 && a.uidnext == 4);
    snprintf(p, sizeof p, "%s/.old", md);
    CHECK(mbox_open(&b, p, 0) && b.n == 3 && b.uidvalidity == a.uidvalidity && b.m[2].uid == 3);
    CHECK(b.m[0].flags & MF_SEEN);
    mbox_close(&a);
    mbox_close(&b);
  }
  {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", md);
    CHECK(system(cmd) == 0);
  }
}

int main(void)
{
  RUN(match);
  RUN(list_status_rename);
  return test_report();
}
