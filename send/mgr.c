/* mgr.c: yubin-send's queue manager.  It is one state machine over one set
 * of tables (messages, schedule heap, job queues, slots), which is why it is
 * one file longer than our usual size: splitting it would only export its
 * internals.  The file formats and the order of writes are in
 * send/README.md; what must stay true:
 *  - todo/BB/ID is removed (by yubin-clean) only after our state for the
 *    message is on disk (syncfs), and a todo file is never taken in twice
 *    while its removal is pending;
 *  - a recipient is marked done (one byte, no fsync) only after its success,
 *    or after its failure is in the fsynced bounce file: a lost mark can only
 *    cause a second delivery;
 *  - the bounce file is removed only after yubin-queue accepted the DSN. */
#include "mgr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acctwatch.h"
#include "atomic.h"
#include "control.h"
#include "dsn.h"
#include "envelope.h"
#include "inject.h"
#include "log.h"
#include "ns.h"
#include "sa.h"
#include "sched.h"
#include "state.h"
#include "uniq.h"

#define CH_LOCAL 0
#define CH_REMOTE 1
#define CH_BOUNCE 2
#define HASH_SIZE 65536u
#define REMOTE_GROUP_MAX 100
#define RCPT_FILE_MAX ENV_FILE_MAX
#define BOUNCE_FILE_MAX ((size_t)4 << 20)

static const char *const chname[3] = { "local", "remote", "bounce" };
static const char *const chdir_[2] = { "local", "remote" };

typedef struct msg {
  struct msg *hnext;
  char id[QUEUE_ID_LEN + 1];
  long long birth_ms;
  long long next[3];     /* scheduled time, 0 = none */
  int busy[2];           /* jobs of the current pass not yet answered */
  int temp[2];           /* temporary failures in the pass (counted) */
  int noinst[2];         /* "not installed" results in the pass */
  unsigned char has[2];  /* local/BB/ID, remote/BB/ID exist */
  unsigned char bounce;  /* bounce/BB/ID exists */
  unsigned char cleaning;/* todo removal asked for, not yet confirmed */
  unsigned char dead;    /* finished (or ignored): kept only while referenced */
  unsigned char inhash;
  unsigned char finishing; /* removal of mess/ asked for */
  int refs;              /* heap entries */
} msg;

typedef struct job {
  struct job *next;
  msg *m;
  int ch;
  char domain[ADDR_DOMAIN_MAX + 1];
  size_t n;
  size_t *at;            /* offsets of the recipients' marks */
  sa req;                /* ID\0SENDER\0DOMAIN\0RCPT\0... */
  size_t rcpt_off;       /* where the recipients start in req */
} job;

typedef struct hent { long long t; msg *m; int ch; } hent;

static struct {
  msg *hash[HASH_SIZE];
  size_t nmsg;
  hent *heap;
  size_t nheap, aheap;
  job *qhead[2], *qtail[2];
  size_t nqueued[2];
  job **slot[2];
  unsigned long conc[2];
  unsigned long nslots[2];   /* highest limit seen: slots that may be in use */
  unsigned long perdomain;
  unsigned long retryscale;
  long long lifetime_ms;
  chan lsp, rsp, cln;
  sa me, locals, dbto;
  size_t nlocals;
  acctwatch acct;
  sa todo;               /* ids waiting to be taken in, NUL-terminated */
  sa unsynced, syncing;  /* ids taken in, their sync not started / running */
  size_t todopos;
  int rescan;
  int trigger;
  int queuefd;
} G;

static volatile sig_atomic_t got_term, got_alrm, got_hup;
static void on_term(int s) { (void)s; got_term = 1; }
static void on_alrm(int s) { (void)s; got_alrm = 1; }
static void on_hup(int s) { (void)s; got_hup = 1; }

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void path_of(char *out, size_t n, const char *dir, const char *id)
{
  snprintf(out, n, "%.8s/%.2s/%.16s", dir, id + QUEUE_ID_LEN - 2, id);
}

static int id_valid(const char *s)
{
  size_t i;
  for (i = 0; i < QUEUE_ID_LEN; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
  return s[QUEUE_ID_LEN] == 0;
}

static void *xalloc(size_t n)
{
  void *p = calloc(1, n);
  if (!p) die(111, "out of memory");
  return p;
}

/* ---- reading whole files (bounded) ---- */
static int read_file(const char *path, sa *out, size_t max)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  out->len = 0;
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  for (;;) {
    ssize_t r;
    if (!sa_ready(out, out->len + 65536 + 1)) { close(fd); return -1; }
    r = read(fd, out->s + out->len, 65536);
    if (r < 0) { if (errno == EINTR) continue; close(fd); return -1; }
    if (r == 0) break;
    out->len += (size_t)r;
    if (out->len > max) { close(fd); errno = EFBIG; return -1; }
  }
  close(fd);
  out->s[out->len] = 0;
  return 1;
}

/* ---- control files ---- */
static void load_control(void)
{
  sa line = SA_ZERO;
  G.conc[CH_LOCAL] = control_ulong_or("concurrencylocal", 10, 1, MGR_CONC_MAX);
  G.conc[CH_REMOTE] = control_ulong_or("concurrencyremote", 20, 1, MGR_CONC_MAX);
  /* slots in use after a SIGHUP lowered a limit stay valid until they answer */
  if (G.conc[CH_LOCAL] > G.nslots[CH_LOCAL]) G.nslots[CH_LOCAL] = G.conc[CH_LOCAL];
  if (G.conc[CH_REMOTE] > G.nslots[CH_REMOTE]) G.nslots[CH_REMOTE] = G.conc[CH_REMOTE];
  G.perdomain = control_ulong_or("concurrencyperdomain", 5, 1, MGR_CONC_MAX);
  G.retryscale = control_ulong_or("retryscale", 1, 1, 1000000);
  G.lifetime_ms = (long long)control_ulong_or("queuelifetime", 604800, 0, 100000000) * 1000;
  G.me.len = 0;
  if (!sa_cats(&G.me, control_me()) || !sa_0(&G.me)) die(111, "out of memory");
  G.locals.len = 0;
  G.nlocals = 0;
  if (control_readlines("locals", &G.locals, &G.nlocals) < 0) warn_sys("unable to read control/locals");
  else {
    size_t i;
    for (i = 0; i < G.locals.len; i++)
      if (G.locals.s[i] >= 'A' && G.locals.s[i] <= 'Z') G.locals.s[i] += 32;
  }
  G.dbto.len = 0;
  if (control_readline("doublebounceto", &line) == 1 && line.len) {
    if (!sa_copyb(&G.dbto, line.s, line.len)) die(111, "out of memory");
  } else if (!sa_copys(&G.dbto, "postmaster")) die(111, "out of memory");
  if (!memchr(G.dbto.s, '@', G.dbto.len) &&
      !(sa_catc(&G.dbto, '@') && sa_cats(&G.dbto, G.me.s))) die(111, "out of memory");
  if (!sa_0(&G.dbto)) die(111, "out of memory");
  sa_free(&line);
}

static int is_local(const char *addr)
{
  const char *at = strrchr(addr, '@');
  char dom[ADDR_DOMAIN_MAX + 1];
  size_t i, n, pos;
  if (!at) return 1;
  n = strlen(at + 1);
  if (n > ADDR_DOMAIN_MAX) return 0;
  addr_lower(dom, at + 1, n);
  dom[n] = 0;
  for (pos = 0, i = 0; i < G.nlocals; i++) {
    if (strcmp(G.locals.s + pos, dom) == 0) return 1;
    pos += strlen(G.locals.s + pos) + 1;
  }
  if (acctwatch_refresh(&G.acct) == 1 && accounts_is_local_domain(&G.acct.db, dom) == 1) return 1;
  return 0;
}

/* ---- messages ---- */
static unsigned hash_id(const char *id)
{
  unsigned h = 5381;
  for (; *id; id++) h = h * 33 + (unsigned char)*id;
  return h % HASH_SIZE;
}

static msg *msg_find(const char *id)
{
  msg *m;
  for (m = G.hash[hash_id(id)]; m; m = m->hnext)
    if (strcmp(m->id, id) == 0) return m;
  return NULL;
}

static msg *msg_new(const char *id, long long birth_ms)
{
  msg *m = xalloc(sizeof *m);
  unsigned h = hash_id(id);
  memcpy(m->id, id, QUEUE_ID_LEN + 1);
  m->birth_ms = birth_ms;
  m->hnext = G.hash[h];
  G.hash[h] = m;
  m->inhash = 1;
  G.nmsg++;
  return m;
}

static void msg_unhash(msg *m)
{
  msg **pp;
  if (!m->inhash) return;
  for (pp = &G.hash[hash_id(m->id)]; *pp; pp = &(*pp)->hnext)
    if (*pp == m) { *pp = m->hnext; break; }
  m->inhash = 0;
  G.nmsg--;
}

static void msg_release(msg *m)
{
  if (m->dead && !m->cleaning && m->inhash) msg_unhash(m);
  if (m->dead && !m->inhash && m->refs == 0) free(m);
}

/* ---- the schedule heap ---- */
static void heap_push(msg *m, int ch, long long t)
{
  size_t i;
  if (G.nheap == G.aheap) {
    size_t na = G.aheap ? G.aheap * 2 : 1024;
    hent *h = realloc(G.heap, na * sizeof *h);
    if (!h) die(111, "out of memory");
    G.heap = h;
    G.aheap = na;
  }
  m->next[ch] = t;
  m->refs++;
  i = G.nheap++;
  while (i > 0 && G.heap[(i - 1) / 2].t > t) { G.heap[i] = G.heap[(i - 1) / 2]; i = (i - 1) / 2; }
  G.heap[i].t = t;
  G.heap[i].m = m;
  G.heap[i].ch = ch;
}

static hent heap_pop(void)
{
  hent top = G.heap[0], last = G.heap[--G.nheap];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= G.nheap) break;
    if (c + 1 < G.nheap && G.heap[c + 1].t < G.heap[c].t) c++;
    if (G.heap[c].t >= last.t) break;
    G.heap[i] = G.heap[c];
    i = c;
  }
  if (G.nheap) G.heap[i] = last;
  return top;
}

/* ---- finishing ---- */
static void clean_request(char op, const char *id)
{
  char r[QUEUE_ID_LEN + 2];
  r[0] = op;
  memcpy(r + 1, id, QUEUE_ID_LEN);
  if (!chan_put(&G.cln, r, QUEUE_ID_LEN + 1)) die(111, "out of memory");
}

/* The message file goes first, info/ last (when yubin-clean confirms): a
 * crash in between leaves an info file alone, which a restart finishes. */
static void maybe_finish(msg *m)
{
  /* the todo file goes before the message file: after a crash a todo file
   * must never point at a message file that is gone */
  if (m->dead || m->finishing || m->cleaning || m->has[0] || m->has[1] || m->bounce || m->busy[0] || m->busy[1])
    return;
  m->finishing = 1;
  clean_request('m', m->id);
}

static void finished(msg *m)
{
  char p[64];
  path_of(p, sizeof p, "info", m->id);
  if (unlink(p) != 0 && errno != ENOENT) { warn_sys("%s unable to remove %s", m->id, p); return; }
  log_info("%s done", m->id);
  m->dead = 1;
  msg_release(m);
}

/* ---- bounces ---- */
static int read_info(const char *id, sa *buf, info *in)
{
  char p[64];
  int r;
  path_of(p, sizeof p, "info", id);
  r = read_file(p, buf, STATE_ADDR_MAX + 200);
  if (r != 1) return r;
  if (info_parse(buf->s, buf->len, in)) return 1;
  errno = EINVAL;
  return -1;
}

/* The queue id yubin-queue (process pid, run between t0 and t1) gave the
 * DSN: its todo file is the one whose id starts with a time in [t0, t1] and
 * whose envelope's p line is pid.  "" if not found. */
static void find_injected(long pid, time_t t0, time_t t1, char qid[QUEUE_ID_LEN + 1])
{
  char p[300];
  sa eb = SA_ZERO;
  envelope_view e;
  int b;
  qid[0] = 0;
  for (b = 0; b < 256 && !qid[0]; b++) {
    char d[16];
    DIR *dir;
    struct dirent *de;
    snprintf(d, sizeof d, "todo/%02x", b);
    if (!(dir = opendir(d))) continue;
    while ((de = readdir(dir))) {
      unsigned long long t;
      char head[9];
      if (!id_valid(de->d_name)) continue;
      memcpy(head, de->d_name, 8);
      head[8] = 0;
      t = strtoull(head, NULL, 16);
      if (t < (unsigned long long)t0 || t > (unsigned long long)t1) continue;
      path_of(p, sizeof p, "todo", de->d_name);
      if (read_file(p, &eb, ENV_FILE_MAX) == 1 && envelope_parse_file(eb.s, eb.len, &e) == ENV_OK &&
          e.pid == (unsigned long long)pid) {
        memcpy(qid, de->d_name, QUEUE_ID_LEN + 1);
        break;
      }
    }
    closedir(dir);
  }
  sa_free(&eb);
}

static void do_bounce(msg *m)
{
  char p[64], boundary[33], qid[QUEUE_ID_LEN + 1];
  sa ib = SA_ZERO, bb = SA_ZERO, mb = SA_ZERO, out = SA_ZERO;
  info in;
  failure *f = NULL;
  size_t nf = 0, af = 0, pos = 0, i, ndrop = 0;
  dsn_in d;
  int r, fd;
  const char *to;
  long qpid = 0;
  time_t t0;

  if (read_info(m->id, &ib, &in) != 1) { warn_sys("%s unable to read info for bounce", m->id); goto retry; }
  path_of(p, sizeof p, "bounce", m->id);
  r = read_file(p, &bb, BOUNCE_FILE_MAX);
  if (r == 0) { m->bounce = 0; goto out; }
  if (r < 0) { warn_sys("%s unable to read %s", m->id, p); goto retry; }
  for (;;) {
    failure one;
    r = bounce_next(bb.s, bb.len, &pos, &one);
    if (r <= 0) break;
    if (nf == af) {
      failure *nfp;
      af = af ? af * 2 : 8;
      nfp = realloc(f, af * sizeof *f);
      if (!nfp) die(111, "out of memory");
      f = nfp;
    }
    f[nf++] = one;
  }
  if (r < 0) log_warn("%s bounce file has a malformed line; reporting the lines before it", m->id);
  to = in.sender;
  if (!*in.sender) {
    /* bounces are never bounced; a failed double bounce is dropped */
    for (i = 0; i < nf; i++) if (strcasecmp(f[i].rcpt, G.dbto.s) == 0) ndrop++;
    if (ndrop == nf) {
      log_info("%s doublebounce dropped rcpts=%zu", m->id, nf);
      goto remove;
    }
    to = G.dbto.s;
  }
  if (nf == 0) goto remove;
  path_of(p, sizeof p, "mess", m->id);
  fd = open(p, O_RDONLY | O_CLOEXEC);
  mb.len = 0;
  if (fd >= 0) {
    if (sa_ready(&mb, DSN_HEADERS_MAX + 1)) {
      ssize_t got;
      while (mb.len < DSN_HEADERS_MAX &&
             (got = read(fd, mb.s + mb.len, DSN_HEADERS_MAX - mb.len)) > 0) mb.len += (size_t)got;
    }
    close(fd);
  }
  uniq_hex(boundary, 32);
  d.me = G.me.s;
  d.to = to;
  d.id = m->id;
  d.boundary = boundary;
  d.arrival = (time_t)(m->birth_ms / 1000);
  d.now = time(NULL);
  d.doublebounce = !*in.sender;
  d.fail = f;
  d.nfail = nf;
  d.orig = mb.s ? mb.s : "";
  d.origlen = mb.len;
  if (!dsn_build(&out, &d)) die(111, "out of memory");
  t0 = time(NULL);
  r = inject(out.s, out.len, "", to, qid, &qpid);
  if (r != 0) {
    log_warn("%s bounce to=<%s> deferred: yubin-queue exited %d", m->id, to, r);
    goto retry;
  }
  if (!qid[0]) find_injected(qpid, t0, time(NULL), qid);
  log_info("%s bounce to=<%s> rcpts=%zu dsn=%s%s", m->id, to, nf, qid[0] ? qid : "?",
           d.doublebounce ? " double=1" : "");
remove:
  path_of(p, sizeof p, "bounce", m->id);
  if (unlink(p) != 0 && errno != ENOENT) { warn_sys("%s unable to remove %s", m->id, p); goto retry; }
  m->bounce = 0;
  goto out;
retry:
  heap_push(m, CH_BOUNCE, now_ms() + 60000 / (long long)G.retryscale + 100);
out:
  free(f);
  sa_free(&ib); sa_free(&bb); sa_free(&mb); sa_free(&out);
  maybe_finish(m);
}

/* ---- passes and jobs ---- */
static void job_enqueue(job *j)
{
  j->next = NULL;
  if (G.qtail[j->ch]) G.qtail[j->ch]->next = j; else G.qhead[j->ch] = j;
  G.qtail[j->ch] = j;
  G.nqueued[j->ch]++;
  j->m->busy[j->ch]++;
}

static job *job_new(msg *m, int ch, const char *sender, const char *domain)
{
  job *j = xalloc(sizeof *j);
  j->m = m;
  j->ch = ch;
  snprintf(j->domain, sizeof j->domain, "%s", domain);
  if (!(sa_cats(&j->req, m->id) && sa_catc(&j->req, 0) && sa_cats(&j->req, sender) &&
        sa_catc(&j->req, 0) && sa_cats(&j->req, domain) && sa_catc(&j->req, 0)))
    die(111, "out of memory");
  j->rcpt_off = j->req.len;
  return j;
}

static void job_add(job *j, const char *addr, size_t at, size_t max)
{
  if (!j->at) j->at = xalloc(max * sizeof *j->at);
  j->at[j->n++] = at;
  if (!(sa_cats(&j->req, addr) && sa_catc(&j->req, 0))) die(111, "out of memory");
}

static void job_free(job *j)
{
  sa_free(&j->req);
  free(j->at);
  free(j);
}

typedef struct rr { const char *dom; const char *addr; size_t at; } rr;
static int rr_cmp(const void *a, const void *b)
{
  const rr *x = a, *y = b;
  int c = strcasecmp(x->dom, y->dom);
  if (c) return c;
  return x->at < y->at ? -1 : x->at > y->at;
}

static void channel_done(msg *m, int ch);

static void start_pass(msg *m, int ch)
{
  char p[64];
  sa fb = SA_ZERO, ib = SA_ZERO;
  info in;
  size_t pos = 0, at, pending, i, nr = 0;
  char mark;
  const char *addr;
  rr *list = NULL;
  int r;

  path_of(p, sizeof p, chdir_[ch], m->id);
  r = read_file(p, &fb, RCPT_FILE_MAX);
  if (r == 0) { m->has[ch] = 0; maybe_finish(m); goto out; }
  if (r < 0) {                  /* e.g. out of descriptors: try again later */
    warn_sys("%s unable to read %s; will try again", m->id, p);
    heap_push(m, ch, now_ms() + 60000);
    goto out;
  }
  if (!rcpt_check(fb.s, fb.len, &pending)) {
    /* never delete what we cannot read: leave it for the administrator */
    log_warn("%s malformed %s; left in the queue", m->id, p);
    goto out;
  }
  if ((r = read_info(m->id, &ib, &in)) != 1) {
    if (r < 0 && errno != EINVAL && errno != EFBIG) {
      warn_sys("%s unable to read info/; will try again", m->id);
      heap_push(m, ch, now_ms() + 60000);
    } else log_warn("%s missing or malformed info file; left in the queue", m->id);
    goto out;
  }
  m->temp[ch] = 0;
  m->noinst[ch] = 0;
  if (pending == 0) { channel_done(m, ch); goto out; }
  list = xalloc(pending * sizeof *list);
  while (rcpt_next(fb.s, fb.len, &pos, &mark, &addr, &at) == 1) {
    const char *d;
    if (mark != 'T') continue;
    d = strrchr(addr, '@');
    list[nr].dom = d ? d + 1 : "";
    list[nr].addr = addr;
    list[nr].at = at;
    nr++;
  }
  if (ch == CH_LOCAL) {
    for (i = 0; i < nr; i++) {
      job *j = job_new(m, ch, in.sender, "");
      job_add(j, list[i].addr, list[i].at, 1);
      job_enqueue(j);
    }
  } else {
    qsort(list, nr, sizeof *list, rr_cmp);
    for (i = 0; i < nr;) {
      char dom[ADDR_DOMAIN_MAX + 1];
      size_t k = 0, dl = strlen(list[i].dom);
      job *j;
      if (dl > ADDR_DOMAIN_MAX) dl = ADDR_DOMAIN_MAX;
      addr_lower(dom, list[i].dom, dl);
      dom[dl] = 0;
      j = job_new(m, ch, in.sender, dom);
      while (i < nr && k < REMOTE_GROUP_MAX && strcasecmp(list[i].dom, dom) == 0) {
        job_add(j, list[i].addr, list[i].at, REMOTE_GROUP_MAX);
        i++; k++;
      }
      if (k == 0) { /* over-long domain: its own group */
        job_add(j, list[i].addr, list[i].at, REMOTE_GROUP_MAX);
        i++;
      }
      job_enqueue(j);
    }
  }
out:
  free(list);
  sa_free(&fb);
  sa_free(&ib);
}

static void channel_done(msg *m, int ch)
{
  char p[64];
  path_of(p, sizeof p, chdir_[ch], m->id);
  if (unlink(p) != 0 && errno != ENOENT) { warn_sys("%s unable to remove %s", m->id, p); return; }
  m->has[ch] = 0;
}

static void pass_end(msg *m, int ch)
{
  long long now = now_ms(), t;
  char p[64];
  if (m->temp[ch] == 0 && m->noinst[ch] == 0) {
    channel_done(m, ch);
  } else {
    t = sched_next(m->birth_ms, now, ch == CH_REMOTE, G.retryscale, G.lifetime_ms);
    if (t <= now) { /* only "not installed" results after the lifetime: keep waiting */
      long long step = SCHED_C_REMOTE * SCHED_C_REMOTE * 1000LL / (long long)G.retryscale;
      t = now + (step < 200 ? 200 : step);
    }
    heap_push(m, ch, t);
    /* cache the next attempt in the file's mtime for a restart */
    path_of(p, sizeof p, chdir_[ch], m->id);
    {
      struct timespec ts[2];
      ts[0].tv_sec = ts[1].tv_sec = (time_t)(t / 1000);
      ts[0].tv_nsec = ts[1].tv_nsec = (long)(t % 1000) * 1000000;
      (void)utimensat(AT_FDCWD, p, ts, 0);
    }
  }
  if (m->bounce && !m->busy[0] && !m->busy[1]) do_bounce(m);
  else maybe_finish(m);
}

/* ---- results ---- */
static const char *field_tab(char **s)
{
  char *p = *s, *t = strchr(p, '\t');
  if (t) { *t = 0; *s = t + 1; } else *s = p + strlen(p);
  return p;
}

static void job_result(job *j, char *body, size_t len)
{
  msg *m = j->m;
  char p[64];
  sa bl = SA_ZERO;
  size_t i, pos = 0;
  char **lines;
  int fd;
  long long now = now_ms();
  int expired = sched_expired(m->birth_ms, now, G.lifetime_ms);
  char *res;

  lines = xalloc(j->n * sizeof *lines);
  for (i = 0; i < j->n; i++) {
    char *nl = memchr(body + pos, '\n', len - pos);
    if (!nl) die(111, "protocol error: %s reply has %zu lines for %zu recipients", chname[j->ch], i, j->n);
    *nl = 0;
    lines[i] = body + pos;
    pos = (size_t)(nl - body) + 1;
  }
  if (pos != len) die(111, "protocol error: %s reply has extra bytes", chname[j->ch]);
  res = xalloc(j->n);
  /* first pass: results and bounce lines */
  {
    const char *r = j->req.s + j->rcpt_off;
    for (i = 0; i < j->n; i++, r += strlen(r) + 1) {
      char *s = lines[i], st[16], safe[1100];
      const char *result = field_tab(&s), *rcpt = field_tab(&s), *host = field_tab(&s), *text = s;
      (void)rcpt;
      if (strcmp(result, "ok") == 0) {
        res[i] = 'K';
        log_info("%s delivered to=<%s> channel=%s%s%s text=\"%s\"", m->id, r, chname[j->ch],
                 strcmp(host, "-") ? " host=" : "", strcmp(host, "-") ? host : "",
                 log_safe(text, safe, sizeof safe));
      } else if (strcmp(result, "perm") == 0 || (strcmp(result, "temp") == 0 && expired)) {
        res[i] = 'D';
        status_of(text, result[0] == 'p' ? "5.0.0" : "4.4.7", st);
        if (!bounce_line(&bl, st, r, host, text)) die(111, "out of memory");
        log_info("%s failed to=<%s> channel=%s status=%s%s reason=\"%s\"", m->id, r, chname[j->ch], st,
                 result[0] == 't' ? " expired=1" : "", log_safe(text, safe, sizeof safe));
      } else if (strcmp(result, "temp") == 0) {
        res[i] = 'Z';
        m->temp[j->ch]++;
        log_info("%s deferred to=<%s> channel=%s reason=\"%s\"", m->id, r, chname[j->ch],
                 log_safe(text, safe, sizeof safe));
      } else if (strcmp(result, "noinst") == 0) {
        res[i] = 'Z';
        m->noinst[j->ch]++;
        log_info("%s deferred to=<%s> channel=%s reason=\"%s\"", m->id, r, chname[j->ch],
                 log_safe(text, safe, sizeof safe));
      } else die(111, "protocol error: unknown result from %s", chname[j->ch]);
    }
  }
  if (bl.len) {
    path_of(p, sizeof p, "bounce", m->id);
    fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || !write_all(fd, bl.s, bl.len) || fsync(fd) != 0 || (!m->bounce && !fsync_dir_of(p))) {
      /* not recorded: keep those recipients for a later attempt */
      warn_sys("%s unable to write %s", m->id, p);
      for (i = 0; i < j->n; i++) if (res[i] == 'D') { res[i] = 'Z'; m->temp[j->ch]++; }
    } else m->bounce = 1;
    if (fd >= 0) close(fd);
  }
  path_of(p, sizeof p, chdir_[j->ch], m->id);
  fd = open(p, O_WRONLY | O_CLOEXEC);
  if (fd < 0) warn_sys("%s unable to open %s", m->id, p);
  else {
    for (i = 0; i < j->n; i++)
      if ((res[i] == 'K' || res[i] == 'D') && pwrite(fd, "D", 1, (off_t)j->at[i]) != 1)
        warn_sys("%s unable to mark a recipient done", m->id);
    close(fd);
  }
  free(res);
  free(lines);
  sa_free(&bl);
  m->busy[j->ch]--;
  if (m->busy[j->ch] == 0) pass_end(m, j->ch);
}

/* reply: SLOT\0 then one line per recipient */
static void handle_reply(int ch, const char *data, size_t len)
{
  const char *z = memchr(data, 0, len);
  unsigned long s = 0;
  const char *c;
  job *j;
  char *body;
  size_t blen;
  if (!z || z == data || z - data > 6) die(111, "protocol error: bad reply from %s", chname[ch]);
  for (c = data; c < z; c++) {
    if (*c < '0' || *c > '9') die(111, "protocol error: bad slot from %s", chname[ch]);
    s = s * 10 + (unsigned long)(*c - '0');
  }
  if (s >= G.nslots[ch] || !(j = G.slot[ch][s])) die(111, "protocol error: unknown slot from %s", chname[ch]);
  G.slot[ch][s] = NULL;
  blen = len - (size_t)(z + 1 - data);
  body = xalloc(blen + 1);
  memcpy(body, z + 1, blen);
  job_result(j, body, blen);
  free(body);
  job_free(j);
}

static size_t domain_active(const char *dom)
{
  size_t i, n = 0;
  for (i = 0; i < G.nslots[CH_REMOTE]; i++)
    if (G.slot[CH_REMOTE][i] && strcmp(G.slot[CH_REMOTE][i]->domain, dom) == 0) n++;
  return n;
}

static void dispatch(int ch)
{
  chan *c = ch == CH_LOCAL ? &G.lsp : &G.rsp;
  size_t s;
  for (s = 0; s < G.conc[ch] && G.qhead[ch]; s++) {
    job *j, *prev = NULL;
    size_t scanned = 0;
    sa r = SA_ZERO;
    if (G.slot[ch][s]) continue;
    for (j = G.qhead[ch]; j; prev = j, j = j->next) {
      if (ch == CH_LOCAL || domain_active(j->domain) < G.perdomain) break;
      if (++scanned > 1000) { j = NULL; break; }
    }
    if (!j) break;
    if (prev) prev->next = j->next; else G.qhead[ch] = j->next;
    if (G.qtail[ch] == j) G.qtail[ch] = prev;
    G.nqueued[ch]--;
    G.slot[ch][s] = j;
    if (!(sa_catu(&r, s) && sa_catc(&r, 0) && sa_catb(&r, j->req.s, j->req.len) &&
          chan_put(c, r.s, r.len))) die(111, "out of memory");
    sa_free(&r);
    {
      const char *a = j->req.s + j->rcpt_off;
      size_t i;
      for (i = 0; i < j->n; i++, a += strlen(a) + 1)
        log_info("%s start to=<%s> channel=%s slot=%zu", j->m->id, a, chname[ch], s);
    }
  }
}

/* ---- taking in ---- */
static int write_new(const char *path, const char *data, size_t len)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return 0;
  if (!write_all(fd, data, len)) { int e = errno; close(fd); errno = e; return 0; }
  return close(fd) == 0;
}

static msg *take_in(const char *id)
{
  char p[64];
  sa eb = SA_ZERO, loc = SA_ZERO, rem = SA_ZERO, inf = SA_ZERO;
  envelope_view e;
  info in;
  size_t pos = 0, alen, nl = 0, nr = 0;
  const char *a;
  int er;
  msg *m = NULL;
  unsigned long long birth;
  struct stat st;
  int r;

  path_of(p, sizeof p, "todo", id);
  r = read_file(p, &eb, ENV_FILE_MAX);
  if (r == 0) goto out;
  if (r < 0) { warn_sys("%s unable to read %s; will try again", id, p); goto out; }
  if ((er = envelope_parse_file(eb.s, eb.len, &e)) != ENV_OK) {
    log_warn("%s malformed envelope in %s (%s); left in the queue", id, p, envelope_strerror(er));
    m = msg_new(id, 0);           /* remembered so it is not read again and again */
    m->dead = 1;
    m->cleaning = 1;
    m = NULL;
    goto out;
  }
  /* every record ends in \0 in the file, so the addresses are C strings */
  while (envelope_rcpt_next(&e, &pos, &a, &alen) == 1) {
    sa *to = is_local(a) ? &loc : &rem;
    if (!(sa_catc(to, 'T') && sa_catb(to, a, alen) && sa_catc(to, 0))) die(111, "out of memory");
    if (to == &loc) nl++; else nr++;
  }
  birth = strtoull((char[9]){ id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], 0 }, NULL, 16);
  in.birth = birth;
  in.uid = e.uid;
  in.pid = e.pid;
  in.sender = e.sender;   /* NUL-terminated in the file, see above */
  if (!info_format(&inf, &in)) die(111, "out of memory");
  if (nl) { path_of(p, sizeof p, "local", id); if (!write_new(p, loc.s, loc.len)) goto fail; }
  if (nr) { path_of(p, sizeof p, "remote", id); if (!write_new(p, rem.s, rem.len)) goto fail; }
  path_of(p, sizeof p, "info", id);
  if (!write_new(p, inf.s, inf.len)) goto fail;
  m = msg_new(id, (long long)birth * 1000);
  m->has[CH_LOCAL] = nl > 0;
  m->has[CH_REMOTE] = nr > 0;
  m->cleaning = 1;
  path_of(p, sizeof p, "mess", id);
  {
    char safe[STATE_ADDR_MAX + 1];
    log_info("%s new from=<%s> rcpts=%zu local=%zu remote=%zu size=%lld", id,
             log_safe(e.sender, safe, sizeof safe), e.nrcpt, nl, nr,
             stat(p, &st) == 0 ? (long long)st.st_size : -1LL);
  }
  goto out;
fail:
  warn_sys("%s unable to write %s; will try again", id, p);
out:
  sa_free(&eb); sa_free(&loc); sa_free(&rem); sa_free(&inf);
  return m;
}

static void scan_todo(void)
{
  int b;
  G.todo.len = 0;
  G.todopos = 0;
  for (b = 0; b < 256; b++) {
    char d[16];
    DIR *dir;
    struct dirent *de;
    snprintf(d, sizeof d, "todo/%02x", b);
    dir = opendir(d);
    if (!dir) { if (errno != ENOENT) warn_sys("unable to open %s", d); continue; }
    while ((de = readdir(dir))) {
      if (!id_valid(de->d_name) || msg_find(de->d_name)) continue;
      if (!sa_catb(&G.todo, de->d_name, QUEUE_ID_LEN + 1)) die(111, "out of memory");
    }
    closedir(dir);
  }
}

static void sync_queue(void)
{
  if (syncfs(G.queuefd) != 0) die_sys(111, "unable to sync the queue");
}

/* The take-in sync runs in a thread so the loop keeps handling results and
 * starting deliveries meanwhile.  Messages taken in wait in G.unsynced; a
 * sync covers those in G.syncing (all written before it started); when it
 * reports back, their todo files may go.  One sync at a time. */
static int sync_req[2] = { -1, -1 }, sync_rep[2] = { -1, -1 };
static int sync_busy;

static void *sync_thread(void *arg)
{
  char c;
  (void)arg;
  for (;;) {
    int e = 0;
    ssize_t r = read(sync_req[0], &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return NULL;
    if (syncfs(G.queuefd) != 0) e = errno ? errno : EIO;
    c = (char)(e > 127 ? 127 : e);
    while (write(sync_rep[1], &c, 1) < 0 && errno == EINTR) {}
  }
}

static void sync_start(void)
{
  pthread_t t;
  sigset_t all, old;
  if (pipe2(sync_req, O_CLOEXEC) != 0 || pipe2(sync_rep, O_CLOEXEC) != 0) die_sys(111, "unable to create a pipe");
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);   /* signals stay with the main thread */
  if (pthread_create(&t, NULL, sync_thread, NULL) != 0) die(111, "unable to start the sync thread");
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_detach(t);
}

static void sync_kick(void)
{
  if (sync_busy || G.unsynced.len == 0) return;
  if (!sa_copyb(&G.syncing, G.unsynced.s, G.unsynced.len)) die(111, "out of memory");
  G.unsynced.len = 0;
  sync_busy = 1;
  if (write(sync_req[1], "s", 1) != 1) die_sys(111, "unable to wake the sync thread");
}

static void sync_done(void)
{
  char c;
  size_t i;
  ssize_t r = read(sync_rep[0], &c, 1);
  if (r < 0 && errno == EINTR) return;
  if (r != 1) die(111, "the sync thread went away");
  if (c) { errno = c; die_sys(111, "unable to sync the queue"); }
  for (i = 0; i + QUEUE_ID_LEN < G.syncing.len; i += QUEUE_ID_LEN + 1)
    clean_request('t', G.syncing.s + i);
  G.syncing.len = 0;
  sync_busy = 0;
  sync_kick();
}

static void take_in_batch(void)
{
  size_t n = 0;
  long long now = now_ms();
  while (n < MGR_BATCH && G.todopos < G.todo.len) {
    const char *id = G.todo.s + G.todopos;
    msg *m;
    G.todopos += QUEUE_ID_LEN + 1;
    if (msg_find(id)) continue;
    m = take_in(id);
    if (!m) continue;
    n++;
    /* delivery may start at once: the todo file stays until the sync */
    if (!sa_catb(&G.unsynced, m->id, QUEUE_ID_LEN + 1)) die(111, "out of memory");
    if (m->has[CH_LOCAL]) heap_push(m, CH_LOCAL, now);
    if (m->has[CH_REMOTE]) heap_push(m, CH_REMOTE, now);
  }
  sync_kick();
}

/* ---- start-up ---- */
static void ensure_dirs(void)
{
  static const char *const dirs[] = { "info", "local", "remote", "bounce" };
  size_t i;
  int b;
  for (i = 0; i < 4; i++) {
    struct stat st;
    if (mkdir(dirs[i], 0700) != 0 && errno != EEXIST && stat(dirs[i], &st) != 0)
      die_sys(111, "unable to create queue/%s", dirs[i]);
    for (b = 0; b < 256; b++) {
      char d[16];
      snprintf(d, sizeof d, "%s/%02x", dirs[i], b);
      if (mkdir(d, 0700) != 0 && errno != EEXIST && stat(d, &st) != 0)
        die_sys(111, "unable to create queue/%s", d);
    }
  }
}

static void rebuild(void)
{
  int b;
  sa ib = SA_ZERO;
  long long now = now_ms();
  for (b = 0; b < 256; b++) {
    char d[16];
    DIR *dir;
    struct dirent *de;
    snprintf(d, sizeof d, "info/%02x", b);
    dir = opendir(d);
    if (!dir) die_sys(111, "unable to open %s", d);
    while ((de = readdir(dir))) {
      info in;
      msg *m;
      int ch;
      char p[64];
      struct stat st;
      if (!id_valid(de->d_name) || msg_find(de->d_name)) continue;
      if (read_info(de->d_name, &ib, &in) != 1) {
        path_of(p, sizeof p, "todo", de->d_name);
        if (access(p, F_OK) != 0) log_warn("%s unreadable info file; left in the queue", de->d_name);
        continue;  /* with its todo still there it is taken in again */
      }
      m = msg_new(de->d_name, (long long)in.birth * 1000);
      for (ch = 0; ch < 2; ch++) {
        path_of(p, sizeof p, chdir_[ch], m->id);
        if (stat(p, &st) != 0) continue;
        m->has[ch] = 1;
        {
          long long t = (long long)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
          heap_push(m, ch, t > now ? t : now);
        }
      }
      path_of(p, sizeof p, "bounce", m->id);
      if (stat(p, &st) == 0) m->bounce = 1;
      if (m->bounce) heap_push(m, CH_BOUNCE, now);
      /* finished ones are finished after finish_takeins() (see there) */
    }
    closedir(dir);
  }
  sa_free(&ib);
}

/* todo files whose state was written before a crash: only the removal is left */
static void finish_takeins(void)
{
  int b, any = 0;
  for (b = 0; b < 256; b++) {
    char d[16];
    DIR *dir;
    struct dirent *de;
    snprintf(d, sizeof d, "todo/%02x", b);
    dir = opendir(d);
    if (!dir) continue;
    while ((de = readdir(dir))) {
      msg *m;
      if (!id_valid(de->d_name) || !(m = msg_find(de->d_name))) continue;
      if (!any) { sync_queue(); any = 1; }
      m->cleaning = 1;
      clean_request('t', m->id);
    }
    closedir(dir);
  }
}

static void scan_stale(void)
{
  int b;
  time_t now = time(NULL);
  for (b = 0; b < 256; b++) {
    char d[16], p[300];
    DIR *dir;
    struct dirent *de;
    snprintf(d, sizeof d, "mess/%02x", b);
    dir = opendir(d);
    if (!dir) continue;
    while ((de = readdir(dir))) {
      struct stat st;
      if (!id_valid(de->d_name) || msg_find(de->d_name)) continue;
      path_of(p, sizeof p, "mess", de->d_name);
      if (stat(p, &st) != 0 || now - st.st_mtime < MGR_STALE_AGE) continue;
      path_of(p, sizeof p, "todo", de->d_name);
      if (access(p, F_OK) == 0) continue;
      path_of(p, sizeof p, "info", de->d_name);
      if (access(p, F_OK) == 0) continue;
      log_info("%s stale message file removed", de->d_name);
      clean_request('m', de->d_name);
    }
    closedir(dir);
  }
}

static void handle_clean(const char *data, size_t len)
{
  char id[QUEUE_ID_LEN + 1];
  msg *m;
  if (len != QUEUE_ID_LEN + 2 || (data[0] != '+' && data[0] != '-') || (data[1] != 't' && data[1] != 'm'))
    die(111, "protocol error: bad reply from yubin-clean");
  memcpy(id, data + 2, QUEUE_ID_LEN);
  id[QUEUE_ID_LEN] = 0;
  m = msg_find(id);
  if (!m) return;
  if (data[1] == 'm') {
    if (!m->finishing || m->dead) return;
    if (data[0] == '+') finished(m);
    else log_warn("%s message file not removed; will retry at the next start", id);
    return;
  }
  if (data[0] == '-') return;   /* stays "cleaning": never taken in twice */
  m->cleaning = 0;
  if (m->dead) msg_release(m);
  else maybe_finish(m);
}

static void retry_all_now(void)
{
  size_t h;
  long long now = now_ms();
  for (h = 0; h < HASH_SIZE; h++) {
    msg *m;
    for (m = G.hash[h]; m; m = m->hnext) {
      int ch;
      if (m->dead) continue;
      for (ch = 0; ch < 2; ch++)
        if (m->has[ch] && !m->busy[ch] && m->next[ch] > now) heap_push(m, ch, now);
    }
  }
}

static int busy_slots(void)
{
  size_t i;
  int ch, n = 0;
  for (ch = 0; ch < 2; ch++)
    for (i = 0; i < G.nslots[ch]; i++) if (G.slot[ch][i]) n++;
  return n;
}

static void set_nonblock(int fd)
{
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) die_sys(111, "unable to set up descriptor %d", fd);
}

static void read_chan(chan *c, const char *name, int which)
{
  const char *d;
  size_t n;
  int r = chan_fill(c);
  if (r < 0) die_sys(111, "unable to read from %s", name);
  while ((r = chan_next(c, &d, &n)) == 1) {
    if (which == CH_BOUNCE) handle_clean(d, n);
    else handle_reply(which, d, n);
  }
  if (r < 0) die(111, "protocol error: bad framing from %s", name);
  if (c->eof) die(111, "%s went away", name);
}

int mgr_run(void)
{
  int fifo, ch;
  long long next_scan, next_stale, term_at = 0;
  struct sigaction sa_;
  size_t i;

  memset(&sa_, 0, sizeof sa_);
  sa_.sa_handler = on_term; sigaction(SIGTERM, &sa_, NULL);
  sa_.sa_handler = on_alrm; sigaction(SIGALRM, &sa_, NULL);
  sa_.sa_handler = on_hup; sigaction(SIGHUP, &sa_, NULL);
  sa_.sa_handler = SIG_IGN; sigaction(SIGPIPE, &sa_, NULL);

  G.queuefd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (G.queuefd < 0) die_sys(111, "unable to open the queue");
  load_control();
  for (ch = 0; ch < 2; ch++) G.slot[ch] = xalloc(MGR_CONC_MAX * sizeof(job *));
  chan_init(&G.lsp, FD_FROM_LSPAWN, FD_TO_LSPAWN);
  chan_init(&G.rsp, FD_FROM_RSPAWN, FD_TO_RSPAWN);
  chan_init(&G.cln, FD_FROM_CLEAN, FD_TO_CLEAN);
  for (i = 4; i <= 9; i++) set_nonblock((int)i);

  ensure_dirs();
  {
    int lk = open("info", O_RDONLY | O_DIRECTORY | O_CLOEXEC), tries;
    if (lk < 0) die_sys(111, "unable to open queue/info");
    for (tries = 0; flock(lk, LOCK_EX | LOCK_NB) != 0; tries++) {
      if (tries >= 50) die(111, "another yubin-send is running on this queue");
      usleep(100000);
    }
  }
  fifo = open("lock/trigger", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0) die_sys(111, "unable to open queue/lock/trigger");
  if (open("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC) < 0)  /* dummy writer: no EOF storms */
    die_sys(111, "unable to open queue/lock/trigger for writing");

  rebuild();
  finish_takeins();
  {
    size_t h;
    for (h = 0; h < HASH_SIZE; h++) {
      msg *m, *nx;
      for (m = G.hash[h]; m; m = nx) { nx = m->hnext; maybe_finish(m); }
    }
  }
  sync_start();
  scan_todo();
  scan_stale();
  log_info("started messages=%zu todo=%zu concurrencylocal=%lu concurrencyremote=%lu retryscale=%lu lifetime=%llds",
           G.nmsg, G.todo.len / (QUEUE_ID_LEN + 1), G.conc[0], G.conc[1], G.retryscale,
           G.lifetime_ms / 1000);
  if (fcntl(FD_NOTIFY, F_GETFD) >= 0) {
    (void)write_all(FD_NOTIFY, "\n", 1);
    close(FD_NOTIFY);
  }
  next_scan = now_ms() + MGR_SCAN_MS;
  next_stale = now_ms() + MGR_STALE_MS;

  for (;;) {
    struct pollfd pf[5];
    long long now, timeout;
    int n;

    if (got_hup) { got_hup = 0; load_control(); log_info("control files read again"); }
    if (got_alrm) { got_alrm = 0; retry_all_now(); }
    if (got_term && !term_at) { term_at = now_ms() + MGR_TERM_MS; log_info("stopping"); }
    if (term_at && (busy_slots() == 0 || now_ms() >= term_at)) {
      (void)chan_flush(&G.cln);
      log_info("stopped");
      return 0;
    }
    now = now_ms();
    if (!term_at) {
      if (G.todopos >= G.todo.len && (G.rescan || now >= next_scan)) {
        G.rescan = 0;
        scan_todo();
        next_scan = now + MGR_SCAN_MS;
      }
      take_in_batch();
      if (now >= next_stale) { scan_stale(); next_stale = now + MGR_STALE_MS; }
      /* due attempts */
      for (i = 0; i < 10000 && G.nheap && G.heap[0].t <= now; i++) {
        hent e = heap_pop();
        msg *m = e.m;
        m->refs--;
        if (m->dead || m->next[e.ch] != e.t) { msg_release(m); continue; }
        m->next[e.ch] = 0;
        if (e.ch == CH_BOUNCE) { if (!m->busy[0] && !m->busy[1]) do_bounce(m); }
        else if (!m->busy[e.ch] && m->has[e.ch]) start_pass(m, e.ch);
      }
      dispatch(CH_LOCAL);
      dispatch(CH_REMOTE);
    }
    if (chan_flush(&G.lsp) < 0) die_sys(111, "unable to write to yubin-lspawn");
    if (chan_flush(&G.rsp) < 0) die_sys(111, "unable to write to yubin-rspawn");
    if (chan_flush(&G.cln) < 0) die_sys(111, "unable to write to yubin-clean");

    now = now_ms();
    timeout = next_scan - now;
    if (G.nheap && G.heap[0].t - now < timeout) timeout = G.heap[0].t - now;
    if (G.todopos < G.todo.len && !term_at) timeout = 0;
    if (term_at && timeout > 100) timeout = 100;
    if (timeout < 0) timeout = 0;
    if (timeout > 60000) timeout = 60000;
    pf[0].fd = fifo; pf[0].events = POLLIN;
    pf[1].fd = G.lsp.rfd; pf[1].events = POLLIN | (chan_pending(&G.lsp) ? 0 : 0);
    pf[2].fd = G.rsp.rfd; pf[2].events = POLLIN;
    pf[3].fd = G.cln.rfd; pf[3].events = POLLIN;
    pf[4].fd = sync_rep[0]; pf[4].events = POLLIN;
    {
      struct pollfd all[8];
      int k = 5;
      memcpy(all, pf, sizeof pf);
      if (chan_pending(&G.lsp)) { all[k].fd = G.lsp.wfd; all[k].events = POLLOUT; k++; }
      if (chan_pending(&G.rsp)) { all[k].fd = G.rsp.wfd; all[k].events = POLLOUT; k++; }
      if (chan_pending(&G.cln)) { all[k].fd = G.cln.wfd; all[k].events = POLLOUT; k++; }
      n = poll(all, (nfds_t)k, (int)timeout);
      if (n < 0) { if (errno == EINTR) continue; die_sys(111, "poll failed"); }
      memcpy(pf, all, sizeof pf);
    }
    if (pf[0].revents & POLLIN) {
      char buf[1024];
      while (read(fifo, buf, sizeof buf) > 0) {}
      G.rescan = 1;
    }
    if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) read_chan(&G.lsp, "yubin-lspawn", CH_LOCAL);
    if (pf[2].revents & (POLLIN | POLLHUP | POLLERR)) read_chan(&G.rsp, "yubin-rspawn", CH_REMOTE);
    if (pf[3].revents & (POLLIN | POLLHUP | POLLERR)) read_chan(&G.cln, "yubin-clean", CH_BOUNCE);
    if (pf[4].revents & (POLLIN | POLLHUP | POLLERR)) sync_done();
    /* freed slots are filled before the next take-in batch */
    if (!term_at && (pf[1].revents || pf[2].revents)) {
      dispatch(CH_LOCAL);
      dispatch(CH_REMOTE);
      if (chan_flush(&G.lsp) < 0) die_sys(111, "unable to write to yubin-lspawn");
      if (chan_flush(&G.rsp) < 0) die_sys(111, "unable to write to yubin-rspawn");
    }
  }
}
