/* yubinctl queue list|stat */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "out.h"
#include "queueread.h"

typedef struct qstat {
  size_t messages, todo, sending, shown;
  unsigned long long bytes;
  time_t now, oldest;
} qstat;

static int list_one(const qmsg *m, void *arg)
{
  qstat *s = arg;
  long age = (long)(s->now - m->injected);
  size_t i;
  const char *r;
  if (age < 0) age = 0;
  if (out_json) {
    fputs(s->shown ? ", {\"id\": " : "{\"id\": ", stdout);
    json_str(m->id);
    printf(", \"age\": %ld, \"size\": %lld, \"state\": \"%s\", \"sender\": ", age, (long long)m->size,
           m->state == QREAD_TODO ? "todo" : "sending");
    json_str(m->sender);
    fputs(", \"recipients\": [", stdout);
    for (i = 0, r = m->rcpts.s; i < m->nrcpts; i++, r += strlen(r) + 1) {
      if (i) fputs(", ", stdout);
      json_str(r);
    }
    fputs("]}", stdout);
  } else {
    printf("%s age=%lds size=%lld state=%s from=<%s>", m->id, age, (long long)m->size,
           m->state == QREAD_TODO ? "todo" : "sending", m->sender);
    for (i = 0, r = m->rcpts.s; i < m->nrcpts; i++, r += strlen(r) + 1) printf(" to=<%s>", r);
    putchar('\n');
  }
  s->shown++;
  return 1;
}

static int stat_one(const qmsg *m, void *arg)
{
  qstat *s = arg;
  s->messages++;
  if (m->state == QREAD_TODO) s->todo++; else s->sending++;
  s->bytes += (unsigned long long)m->size;
  if (!s->oldest || m->injected < s->oldest) s->oldest = m->injected;
  return 1;
}

int cmd_queue(const char *root, int argc, char **argv)
{
  qstat s;
  memset(&s, 0, sizeof s);
  s.now = time(0);
  if (argc == 1 && !strcmp(argv[0], "list")) {
    if (out_json) fputs("[", stdout);
    if (!qread_each(root, list_one, &s)) ctl_fail_sys(CTL_TEMP, "unable to read %s/queue", root);
    if (out_json) puts("]");
    return 0;
  }
  if (argc == 1 && !strcmp(argv[0], "stat")) {
    long oldest = s.oldest ? (long)(s.now - s.oldest) : 0;
    if (!qread_each(root, stat_one, &s)) ctl_fail_sys(CTL_TEMP, "unable to read %s/queue", root);
    oldest = s.oldest ? (long)(s.now - s.oldest) : 0;
    if (oldest < 0) oldest = 0;
    if (out_json)
      printf("{\"messages\": %zu, \"todo\": %zu, \"sending\": %zu, \"bytes\": %llu, \"oldest_age\": %ld}\n",
             s.messages, s.todo, s.sending, s.bytes, oldest);
    else
      printf("messages: %zu\ntodo: %zu\nsending: %zu\nbytes: %llu\noldest_age: %ld\n",
             s.messages, s.todo, s.sending, s.bytes, oldest);
    return 0;
  }
  ctl_fail(CTL_USAGE, "usage: yubinctl queue list|stat");
}
