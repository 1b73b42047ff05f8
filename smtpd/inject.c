#include "inject.h"

#include <string.h>
#include <unistd.h>

#include "atomic.h"

int inject_start(inject *q)
{
  q->running = 0;
  q->werr = 0;
  q->n = 0;
  q->qp.pid = 0;
  if (!queueprog_start(&q->qp, NULL)) return 0;
  q->running = 1;
  return 1;
}

static void flush(inject *q)
{
  if (q->n && !q->werr && !write_all(q->qp.msgfd, q->buf, q->n)) q->werr = 1;
  q->n = 0;
}

void inject_write(inject *q, const char *b, size_t n)
{
  while (n > 0) {
    size_t room = sizeof q->buf - q->n, k = n < room ? n : room;
    memcpy(q->buf + q->n, b, k);
    q->n += k;
    b += k;
    n -= k;
    if (q->n == sizeof q->buf) flush(q);
  }
}

int inject_finish(inject *q, const char *env, size_t envlen)
{
  if (!q->running) return -1;
  flush(q);
  close(q->qp.msgfd);
  q->qp.msgfd = -1;
  /* An injector that went away early still reports why by its exit code. */
  if (!q->werr) (void)write_all(q->qp.envfd, env, envlen);
  q->running = 0;
  return queueprog_wait(&q->qp);
}

void inject_abort(inject *q)
{
  /* Both pipes closed with no envelope: the injector commits nothing. */
  q->n = 0;
  if (q->running) (void)queueprog_wait(&q->qp);
  q->running = 0;
}

const char *inject_reply(int code)
{
  switch (code) {
  case 11: return "554 5.1.3 address too long";
  case 31: return "554 5.3.4 message refused by the queue";
  case 51: return "451 4.3.0 out of memory, try again later";
  case 52: return "451 4.4.2 timeout while queueing, try again later";
  case 53: return "452 4.3.1 unable to write the message (disk full?), try again later";
  case 54: return "451 4.3.0 unable to read the message or envelope, try again later";
  case 55: return "451 4.3.0 unable to read a control file, try again later";
  case 61: case 62: case 63: case 64: case 65: case 66:
    return "451 4.3.0 queue trouble, try again later";
  case 71: return "451 4.3.0 message refused temporarily, try again later";
  case 81: return "451 4.3.0 internal error in the queue, try again later";
  case 91: return "554 5.5.0 envelope format error";
  case 126: case 127: return "451 4.3.0 unable to run the queue program, try again later";
  default: return "451 4.3.0 queue program failed, try again later";
  }
}
