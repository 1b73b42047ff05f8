/* yubin-queue: puts one message into the queue (queue/README.md).
 * The message on fd 0, the envelope on fd 1 (F<sender>\0T<rcpt>\0...\0);
 * installed setuid yubinq, so it trusts nothing from its caller: no
 * environment, no arguments, the instance from its own location.  Follows
 * the commit protocol of doc/queue.md; every failure is a qmail-queue exit
 * code, and nothing is committed unless the exit code is 0. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "control.h"
#include "datefmt.h"
#include "envelope.h"
#include "instance.h"
#include "log.h"
#include "sa.h"
#include "uniq.h"

#define Q_TIMEOUT 86400
#define Q_BUF ((size_t)128 << 10)
#define Q_RECEIVED_MAX 160
#define Q_ID_TRIES 5

/* Paths relative to ROOT/queue of the files made so far, for cleanup. */
static char mess_path[64], intd_path[64];

static void cleanup(void)
{
  if (mess_path[0]) unlink(mess_path);
  if (intd_path[0]) unlink(intd_path);
}

static _Noreturn void fail(int code, const char *what)
{
  int e = errno;
  cleanup();
  errno = e;
  die_sys(code, "%s", what);
}

static _Noreturn void fail_msg(int code, const char *what)
{
  cleanup();
  die(code, "%s", what);
}

static void on_alarm(int sig)
{
  (void)sig;
  /* unlink and _exit are async-signal-safe. */
  cleanup();
  _exit(52);
}


/* Creates mess/BB/ID exclusively; fills id and bucket.  Returns the fd. */
static int create_mess(char id[QUEUE_ID_LEN + 1], char bucket[3])
{
  int i, fd;
  for (i = 0; i < Q_ID_TRIES; i++) {
    uniq_queue_id(id);
    uniq_bucket(id, bucket);
    snprintf(mess_path, sizeof mess_path, "mess/%s/%s", bucket, id);
    fd = open(mess_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd >= 0) return fd;
    if (errno != EEXIST) break;
  }
  mess_path[0] = 0;
  if (errno == ENOSPC || errno == EDQUOT) die_sys(53, "unable to create the message file");
  die_sys(64, "unable to create a file in queue/mess");
}

/* Copies fd 0 into fd after the Received line, in one pass through one large
 * buffer.  Enforces databytes (0 = no limit) on the message as read. */
static void copy_message(int fd, unsigned long databytes)
{
  static char buf[Q_BUF];
  char date[DATEFMT_MAX];
  size_t have, total = 0;
  int n = snprintf(buf, Q_RECEIVED_MAX, "Received: (yubin %lu invoked by uid %lu); %s\n",
                   (unsigned long)getpid(), (unsigned long)getuid(), datefmt_rfc5322(time(0), date));
  if (n < 0 || n >= Q_RECEIVED_MAX) fail_msg(81, "Received line too long");
  have = (size_t)n;
  for (;;) {
    ssize_t r = read(0, buf + have, Q_BUF - have);
    if (r < 0) {
      if (errno == EINTR) continue;
      fail(54, "unable to read the message");
    }
    if (r == 0) break;
    total += (size_t)r;
    if (databytes && total > databytes) fail_msg(31, "message bigger than control/databytes");
    have += (size_t)r;
    if (have == Q_BUF) {
      if (!write_all(fd, buf, have)) fail(53, "unable to write the message");
      have = 0;
    }
  }
  if (have && !write_all(fd, buf, have)) fail(53, "unable to write the message");
}

/* Reads the whole envelope from fd 1 into env (bounded by ENV_WIRE_MAX). */
static void read_envelope(sa *env)
{
  env->cap = ENV_WIRE_MAX + 1;
  for (;;) {
    ssize_t r;
    if (!sa_ready(env, env->len + 65536)) {
      if (errno == ERANGE) {
        /* Read up to the cap exactly, so an envelope that fits is accepted. */
        if (env->len >= ENV_WIRE_MAX + 1) fail_msg(91, "envelope too long");
        if (!sa_ready(env, ENV_WIRE_MAX + 1)) fail(51, "out of memory");
      } else {
        fail(51, "out of memory");
      }
    }
    r = read(1, env->s + env->len, env->a - env->len);
    if (r < 0) {
      if (errno == EINTR) continue;
      fail(54, "unable to read the envelope");
    }
    if (r == 0) return;
    env->len += (size_t)r;
    if (env->len > ENV_WIRE_MAX) fail_msg(91, "envelope too long");
  }
}

static void trigger(void)
{
  int fd = open("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return;              /* yubin-send also scans periodically */
  if (write(fd, "", 1) < 0) { /* a full FIFO is fine */ }
  close(fd);
}

/* The message's syncs (step 1), run beside the envelope's. */
struct mess_sync {
  pthread_t thread;
  int fd;
  const char *dir;
  int err_file, err_dir;   /* errno of a failed sync, else 0 */
  int joined;
};
static struct mess_sync *mess_sync_job;

static void *sync_mess(void *arg)
{
  struct mess_sync *m = arg;
  if (fsync(m->fd) != 0 || close(m->fd) != 0) m->err_file = errno ? errno : EIO;
  if (!fsync_dir(m->dir)) m->err_dir = errno ? errno : EIO;
  return 0;
}

/* Waits for the message's syncs; fails the injection if one failed. */
static void mess_sync_wait(void)
{
  struct mess_sync *m = mess_sync_job;
  if (!m) return;
  if (!m->joined) pthread_join(m->thread, 0);
  m->joined = 1;
  mess_sync_job = 0;
  if (m->err_file) { errno = m->err_file; fail(53, "unable to sync the message"); }
  if (m->err_dir) { errno = m->err_dir; fail(64, "unable to sync queue/mess"); }
}

int main(void)
{
  char id[QUEUE_ID_LEN + 1], bucket[3], dir[16], todo_path[64];
  unsigned long databytes = 0;
  sa env = SA_ZERO, file = SA_ZERO;
  envelope_view ev;
  struct stat st;
  int fd, r;

  /* A setuid program: nothing of the caller's environment or arguments. */
  clearenv();
  log_init("yubin-queue");
  umask(027);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGALRM, on_alarm);
  alarm(Q_TIMEOUT);
  /* With fd 2 closed, the first file opened would receive our log lines. */
  if (fcntl(2, F_GETFD) < 0) {
    fd = open("/dev/null", O_WRONLY);
    if (fd != 2) _exit(81);
  }
  if (fstat(0, &st) != 0) die_sys(54, "no message on fd 0");
  if (fstat(1, &st) != 0) die_sys(54, "no envelope on fd 1");

  if (chdir(instance_root()) != 0) die_sys(61, "unable to enter the instance %s", instance_root());
  r = control_readulong("databytes", 0, ULONG_MAX, &databytes);
  if (r < 0) die_sys(55, "unable to read control/databytes");
  if (chdir("queue") != 0) die_sys(62, "unable to enter the queue directory");

  /* 1. the message, durable with its directory entry.  The two syncs run in
   * a thread of their own while the envelope is read and written: the disk
   * then commits them together with the envelope's, instead of one after the
   * other.  Nothing is linked into todo/ before all three are done. */
  fd = create_mess(id, bucket);
  copy_message(fd, databytes);
  snprintf(dir, sizeof dir, "mess/%s", bucket);
  {
    static struct mess_sync ms;
    ms.fd = fd;
    ms.dir = dir;
    if (pthread_create(&ms.thread, 0, sync_mess, &ms) != 0) {
      sync_mess(&ms);
      ms.joined = 1;
    }
    mess_sync_job = &ms;
  }

  /* 2. the envelope, strictly parsed, into intd */
  read_envelope(&env);
  r = envelope_parse(env.s, env.len, &ev);
  if (r == ENV_E_TOOLONG) fail_msg(11, "address too long");
  if (r == ENV_E_TRUNC) fail_msg(54, "unable to read the envelope: truncated");
  if (r != ENV_OK) { cleanup(); die(91, "%s", envelope_strerror(r)); }
  file.cap = ENV_FILE_MAX;
  if (!envelope_put_ids(&file, (unsigned long long)getuid(), (unsigned long long)getpid()) ||
      !sa_catb(&file, env.s, env.len))
    fail(51, "out of memory");
  sa_free(&env);
  snprintf(intd_path, sizeof intd_path, "intd/%s/%s", bucket, id);
  fd = open(intd_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    int e = errno;
    intd_path[0] = 0;
    errno = e;
    fail(e == ENOSPC || e == EDQUOT ? 53 : 65, "unable to create a file in queue/intd");
  }
  if (!write_all(fd, file.s, file.len)) fail(53, "unable to write the envelope");
  if (fchmod(fd, 0640) != 0) fail(65, "unable to set the mode of the envelope");
  if (fsync(fd) != 0) fail(53, "unable to sync the envelope");
  if (close(fd) != 0) fail(53, "unable to close the envelope");
  sa_free(&file);
  mess_sync_wait();

  /* 3. commit: the todo link, durable */
  snprintf(todo_path, sizeof todo_path, "todo/%s/%s", bucket, id);
  if (link(intd_path, todo_path) != 0) fail(66, "unable to link into queue/todo");
  snprintf(dir, sizeof dir, "todo/%s", bucket);
  if (!fsync_dir(dir)) {
    /* Not known to be durable: take it back, so the caller's retry is the
     * only copy. */
    unlink(todo_path);
    fail(66, "unable to sync queue/todo");
  }

  /* 4. wake yubin-send */
  trigger();
  return 0;
}
