/* For each message file mess/BB/ID: its size and age, and the envelope from
 * todo/BB/ID when yubin-send has not taken it in yet, else the sender from
 * info/BB/ID and the pending recipients of local/BB/ID and remote/BB/ID
 * (yubin-send's state files, doc/queue.md and send/README.md). */
#include "mailq.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "envelope.h"
#include "instance.h"
#include "log.h"
#include "sa.h"

#define MAILQ_FILE_MAX ((size_t)ENV_FILE_MAX)

/* Reads a whole small file relative to dirfd.  1, 0 if absent, -1 error. */
static int slurp(int dirfd, const char *rel, sa *out)
{
  int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  out->len = 0;
  out->cap = MAILQ_FILE_MAX;
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  for (;;) {
    ssize_t r;
    if (!sa_ready(out, out->len + 65536)) { close(fd); return -1; }
    r = read(fd, out->s + out->len, out->a - out->len);
    if (r < 0) { if (errno == EINTR) continue; close(fd); return -1; }
    if (r == 0) break;
    out->len += (size_t)r;
  }
  close(fd);
  return 1;
}

static void age(time_t t, char *out, size_t n)
{
  long d = (long)(time(0) - t);
  if (d < 0) d = 0;
  if (d < 3600) snprintf(out, n, "%ldm", d / 60);
  else if (d < 86400) snprintf(out, n, "%ldh", d / 3600);
  else snprintf(out, n, "%ldd", d / 86400);
}

static void print_addr(FILE *out, const char *prefix, const char *a, size_t n)
{
  char safe[ENV_ADDR_MAX + 1], raw[ENV_ADDR_MAX + 1];
  if (n > ENV_ADDR_MAX) n = ENV_ADDR_MAX;
  memcpy(raw, a, n);
  raw[n] = 0;
  fprintf(out, "%s<%s>", prefix, log_safe(raw, safe, sizeof safe));
}

/* Records of a recipient file of yubin-send: T<addr>\0 pending, D<addr>\0 done. */
static void print_pending(FILE *out, const sa *f, const char *where)
{
  size_t p = 0;
  while (p < f->len) {
    const char *nul = memchr(f->s + p, 0, f->len - p);
    if (!nul) break;
    if (f->s[p] == 'T') {
      fprintf(out, "  %s ", where);
      print_addr(out, "", f->s + p + 1, (size_t)(nul - (f->s + p + 1)));
      fputc('\n', out);
    }
    p = (size_t)(nul - f->s) + 1;
  }
}

static void one(FILE *out, int qfd, const char *bucket, const char *id, const struct stat *st)
{
  char rel[300], when[32];
  sa f = SA_ZERO;
  envelope_view e;
  age(st->st_mtime, when, sizeof when);
  fprintf(out, "%s %llu %s", id, (unsigned long long)st->st_size, when);
  snprintf(rel, sizeof rel, "todo/%s/%s", bucket, id);
  if (slurp(qfd, rel, &f) == 1 && envelope_parse_file(f.s, f.len, &e) == ENV_OK) {
    size_t pos = 0, len;
    const char *a;
    print_addr(out, " from=", e.sender, e.sender_len);
    fputs(" state=todo\n", out);
    while (envelope_rcpt_next(&e, &pos, &a, &len)) {
      fputs("  to ", out);
      print_addr(out, "", a, len);
      fputc('\n', out);
    }
    sa_free(&f);
    return;
  }
  snprintf(rel, sizeof rel, "info/%s/%s", bucket, id);
  if (slurp(qfd, rel, &f) == 1) {
    const char *s = memmem(f.s, f.len, "\0F", 2);
    if (s) {
      const char *nul = memchr(s + 2, 0, f.len - (size_t)(s + 2 - f.s));
      if (nul) print_addr(out, " from=", s + 2, (size_t)(nul - (s + 2)));
    }
    fputs(" state=queued\n", out);
    snprintf(rel, sizeof rel, "local/%s/%s", bucket, id);
    if (slurp(qfd, rel, &f) == 1) print_pending(out, &f, "local");
    snprintf(rel, sizeof rel, "remote/%s/%s", bucket, id);
    if (slurp(qfd, rel, &f) == 1) print_pending(out, &f, "remote");
  } else {
    /* being injected, or left over by an injection that did not finish */
    fputs(" state=incomplete\n", out);
  }
  sa_free(&f);
}

int mailq_list(const char *root, FILE *out)
{
  char path[INSTANCE_PATH_MAX];
  unsigned long count = 0;
  int qfd, b;
  if ((size_t)snprintf(path, sizeof path, "%s/queue", root) >= sizeof path) { errno = ENAMETOOLONG; return 0; }
  qfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (qfd < 0) return 0;
  for (b = 0; b < 256; b++) {
    char bucket[3], rel[16];
    DIR *d;
    struct dirent *de;
    int dfd;
    snprintf(bucket, sizeof bucket, "%02x", b);
    snprintf(rel, sizeof rel, "mess/%s", bucket);
    dfd = openat(qfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
      if (errno == ENOENT) continue;
      { int e = errno; close(qfd); errno = e; }
      return 0;
    }
    d = fdopendir(dfd);
    if (!d) { close(dfd); close(qfd); return 0; }
    while ((de = readdir(d))) {
      struct stat st;
      if (de->d_name[0] == '.') continue;
      if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
      one(out, qfd, bucket, de->d_name, &st);
      count++;
    }
    closedir(d);
  }
  close(qfd);
  fprintf(out, "%lu message%s in the queue\n", count, count == 1 ? "" : "s");
  return 1;
}
