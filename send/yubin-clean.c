/* yubin-clean: removes queue files for yubin-send (runs as yubinq, which owns
 * mess/, intd/ and todo/).  Requests on fd 0, one netstring each:
 *   tID   remove todo/BB/ID, then intd/BB/ID (the message was taken in)
 *   mID   remove mess/BB/ID (the message is finished)
 * Each request is answered on fd 1 with "+" (done) or "-" (failed) followed
 * by the request.  At start and hourly it removes intd/BB/ID files with no
 * todo/BB/ID that are older than 36 hours (left by a crashed yubin-queue).
 * Exit 0 when yubin-send closes fd 0, 111 on a system error, 100 usage. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "instance.h"
#include "log.h"
#include "ns.h"
#include "spawn.h"
#include "uniq.h"

#define STALE_AGE (36L * 3600)
#define STALE_EVERY_MS (3600 * 1000)

static int rm(const char *dir, const char *id)
{
  char p[64];
  snprintf(p, sizeof p, "%.8s/%.2s/%.16s", dir, id + QUEUE_ID_LEN - 2, id);
  if (unlink(p) == 0 || errno == ENOENT) return 1;
  warn_sys("%s unable to remove %s", id, p);
  return 0;
}

static void stale(void)
{
  time_t now = time(NULL);
  int b;
  for (b = 0; b < 256; b++) {
    char d[16], p[300];
    DIR *dir;
    struct dirent *de;
    snprintf(d, sizeof d, "intd/%02x", b);
    if (!(dir = opendir(d))) continue;
    while ((de = readdir(dir))) {
      struct stat st;
      if (!spawn_id_valid(de->d_name)) continue;
      snprintf(p, sizeof p, "intd/%02x/%s", b, de->d_name);
      if (stat(p, &st) != 0 || now - st.st_mtime < STALE_AGE) continue;
      snprintf(p, sizeof p, "todo/%02x/%s", b, de->d_name);
      if (access(p, F_OK) == 0) continue;
      if (rm("intd", de->d_name)) log_info("%s stale envelope removed", de->d_name);
    }
    closedir(dir);
  }
}

int main(int argc, char **argv)
{
  char q[INSTANCE_PATH_MAX];
  chan c;
  (void)argv;
  log_init("yubin-clean");
  if (argc != 1) die(100, "usage: yubin-clean (started by yubin-start)");
  if (!instance_path(q, sizeof q, "queue") || chdir(q) != 0) die_sys(111, "unable to enter the queue");
  signal(SIGPIPE, SIG_IGN);
  chan_init(&c, 0, 1);
  if (fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) != 0) die_sys(111, "unable to set up fd 0");
  stale();
  for (;;) {
    struct pollfd pf;
    const char *d;
    size_t n;
    int r;
    pf.fd = 0;
    pf.events = POLLIN;
    r = poll(&pf, 1, STALE_EVERY_MS);
    if (r < 0) { if (errno == EINTR) continue; die_sys(111, "poll failed"); }
    if (r == 0) { stale(); continue; }
    if (chan_fill(&c) < 0) die_sys(111, "unable to read from yubin-send");
    while ((r = chan_next(&c, &d, &n)) == 1) {
      char id[QUEUE_ID_LEN + 1], rep[QUEUE_ID_LEN + 2];
      int ok;
      if (n != QUEUE_ID_LEN + 1 || (d[0] != 't' && d[0] != 'm')) die(111, "protocol error: bad request");
      memcpy(id, d + 1, QUEUE_ID_LEN);
      id[QUEUE_ID_LEN] = 0;
      if (!spawn_id_valid(id)) die(111, "protocol error: bad queue id");
      if (d[0] == 't') ok = rm("todo", id) && rm("intd", id);
      else ok = rm("mess", id);
      rep[0] = ok ? '+' : '-';
      memcpy(rep + 1, d, n);
      if (!chan_put(&c, rep, n + 1)) die(111, "out of memory");
    }
    if (r < 0) die(111, "protocol error: bad framing from yubin-send");
    while (chan_pending(&c)) if (chan_flush(&c) < 0) die_sys(111, "unable to write to yubin-send");
    if (c.eof) { sa_free(&c.in); sa_free(&c.out); return 0; }
  }
}
