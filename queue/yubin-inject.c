/* yubin-inject: the sendmail-compatible wrapper, installed as ROOT/bin/sendmail
 * and ROOT/bin/mailq (queue/README.md).  Any local user may run it.  Reads a
 * message on stdin, completes its header, and hands it to the queue injector
 * (queueprog.h); exits with a sysexits code. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "atomic.h"
#include "compose.h"
#include "control.h"
#include "datefmt.h"
#include "envelope.h"
#include "header.h"
#include "instance.h"
#include "log.h"
#include "mailq.h"
#include "msg.h"
#include "policy.h"
#include "queueprog.h"
#include "sa.h"
#include "uniq.h"

/* sysexits.h */
#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOUSER 67
#define EX_UNAVAILABLE 69
#define EX_SOFTWARE 70
#define EX_OSERR 71
#define EX_CANTCREAT 73
#define EX_IOERR 74
#define EX_TEMPFAIL 75
#define EX_NOPERM 77
#define EX_CONFIG 78

#define INJECT_HEADER_MAX ((size_t)1 << 20)   /* the message header we read */
#define INJECT_BUF 65536

typedef struct opts {
  int t;              /* recipients from To, Cc, Bcc */
  int dot_ends;       /* a lone "." line ends the message (no -i) */
  int mode;           /* 'm' send, 's' SMTP on stdin, 'p' list queue, 'i' aliases */
  const char *from;   /* -f */
  const char *name;   /* -F */
  char **rcpts;
  int nrcpt;
} opts;

static _Noreturn void usage(void)
{
  die(EX_USAGE, "usage: sendmail [-t] [-i|-oi] [-f sender] [-F name] [-bs] [-bp] [-bm] [--] [rcpt ...]");
}

/* An option's value: the rest of the argument, else the next argument. */
static const char *optval(char **argv, int argc, int *i)
{
  if (argv[*i][2]) return argv[*i] + 2;
  if (*i + 1 >= argc) usage();
  return argv[++*i];
}

static void parse_opts(int argc, char **argv, opts *o)
{
  int i;
  const char *prog = log_prog();
  o->t = 0;
  o->dot_ends = 1;
  o->mode = strcmp(prog, "mailq") == 0 ? 'p' : strcmp(prog, "newaliases") == 0 ? 'i' : 'm';
  o->from = o->name = 0;
  /* Options may also follow recipients (as with GNU getopt); "--" ends them. */
  o->rcpts = calloc((size_t)argc + 1, sizeof *o->rcpts);
  if (!o->rcpts) die_sys(EX_OSERR, "out of memory");
  o->nrcpt = 0;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || !a[1]) { o->rcpts[o->nrcpt++] = argv[i]; continue; }
    if (!strcmp(a, "--")) {
      for (i++; i < argc; i++) o->rcpts[o->nrcpt++] = argv[i];
      break;
    }
    switch (a[1]) {
    case 't': if (a[2]) usage(); o->t = 1; break;
    case 'i': if (a[2]) usage(); o->dot_ends = 0; break;
    case 'o': if (!strcmp(a, "-oi")) o->dot_ends = 0; break;   /* other -o options: ignored */
    case 'f': case 'r': o->from = optval(argv, argc, &i); break;
    case 'F': o->name = optval(argv, argc, &i); break;
    case 'b':
      if (!strcmp(a, "-bm")) o->mode = 'm';
      else if (!strcmp(a, "-bs")) o->mode = 's';
      else if (!strcmp(a, "-bp")) o->mode = 'p';
      else if (!strcmp(a, "-bi")) o->mode = 'i';
      else usage();
      break;
    /* historic options without a value: ignored */
    case 'n': case 'v': case 'U': case 'G': case 'm': case 'q': case 'A': case 'e': case 'd':
      break;
    /* historic options with a value: ignored */
    case 'L': case 'B': case 'N': case 'R': case 'X': case 'V': case 'O': case 'C': case 'h': case 'p':
      (void)optval(argv, argc, &i);
      break;
    default:
      usage();
    }
  }
}

static int exit_for_queue(int code)
{
  if (code == 0) return 0;
  if (code == 126 || code == 127) return EX_UNAVAILABLE;
  if (code >= 11 && code <= 40) return EX_DATAERR;    /* qmail-queue: permanent */
  switch (code) {
  case 54: return EX_IOERR;
  case 55: case 61: case 62: return EX_CONFIG;
  case 63: case 64: case 65: case 66: return EX_CANTCREAT;
  case 81: case 91: return EX_SOFTWARE;
  }
  return EX_TEMPFAIL;                                  /* 51-53, 71, others */
}

/* Appends each address of one command-line argument: an address list
 * ("A <a@x>, b@y") or addresses separated by spaces or commas. */
static void arg_rcpts(const char *arg, const char *dflt, sa *out, size_t *count)
{
  const char *why;
  size_t mark = out->len, cmark = *count, i = 0, n = strlen(arg);
  if (hdr_addrlist(arg, n, dflt, out, count, &why)) return;
  out->len = mark;
  *count = cmark;
  while (i < n) {
    size_t j;
    while (i < n && (arg[i] == ' ' || arg[i] == ',' || arg[i] == '\t')) i++;
    j = i;
    while (j < n && arg[j] != ' ' && arg[j] != ',' && arg[j] != '\t') j++;
    if (j > i && !hdr_addrlist(arg + i, j - i, dflt, out, count, &why)) {
      char safe[256];
      die(EX_DATAERR, "bad recipient address %s: %s", log_safe(arg, safe, sizeof safe), why);
    }
    i = j;
  }
}

/* Reads and filters input until the header is complete (or the input ends).
 * Returns 1 if the input is at its end (EOF or the "." line). */
static int read_header(msgfilter *mf, sa *hdr)
{
  static char in[INJECT_BUF], out[INJECT_BUF + 2];
  size_t scan = 0;
  hdr->cap = INJECT_HEADER_MAX + sizeof out;
  for (;;) {
    ssize_t r;
    if (hdr->len && hdr->s[0] == '\n') return mf->done;
    if (hdr->len > 1 && memmem(hdr->s + scan, hdr->len - scan, "\n\n", 2)) return mf->done;
    if (hdr->len > 1) scan = hdr->len - 1;
    if (mf->done) return 1;
    if (hdr->len > INJECT_HEADER_MAX) return 0;
    r = read(0, in, sizeof in);
    if (r < 0) {
      if (errno == EINTR) continue;
      die_sys(EX_IOERR, "unable to read the message");
    }
    if (r == 0) {
      size_t k = msgf_end(mf, out);
      if (!sa_catb(hdr, out, k)) die_sys(EX_OSERR, "out of memory");
      return 1;
    }
    if (!sa_catb(hdr, out, msgf_feed(mf, in, (size_t)r, out))) die_sys(EX_OSERR, "out of memory");
  }
}

typedef struct rcpt_ref { const char *s; size_t i; } rcpt_ref;

static int cmp_ref(const void *a, const void *b)
{
  const rcpt_ref *x = a, *y = b;
  int c = strcmp(x->s, y->s);
  if (c) return c;
  return x->i < y->i ? -1 : x->i > y->i;
}

/* Removes repeated recipients (the same address on the command line and in
 * To:, say), keeping the first of each in its place.  Returns the new count. */
static size_t dedup_rcpts(sa *r, size_t count)
{
  rcpt_ref *refs;
  unsigned char *drop;
  sa out = SA_ZERO;
  size_t i, p, kept = 0;
  if (count < 2) return count;
  refs = calloc(count, sizeof *refs);
  drop = calloc(count, 1);
  if (!refs || !drop) die_sys(EX_OSERR, "out of memory");
  for (i = 0, p = 0; i < count; i++) {
    refs[i].s = r->s + p;
    refs[i].i = i;
    p += strlen(r->s + p) + 1;
  }
  qsort(refs, count, sizeof *refs, cmp_ref);
  for (i = 1; i < count; i++)
    if (!strcmp(refs[i].s, refs[i - 1].s)) drop[refs[i].i] = 1;
  out.cap = r->cap;
  for (i = 0, p = 0; i < count; i++) {
    size_t len = strlen(r->s + p) + 1;
    if (!drop[i]) {
      if (!sa_catb(&out, r->s + p, len)) die_sys(EX_OSERR, "out of memory");
      kept++;
    }
    p += len;
  }
  free(refs);
  free(drop);
  sa_free(r);
  *r = out;
  return kept;
}

static void check_rcpts(const sa *r, size_t count)
{
  size_t p = 0, i;
  for (i = 0; i < count; i++) {
    size_t len = strlen(r->s + p);
    const char *why = "bad address";
    addr a;
    if (!addr_parse_mailbox(r->s + p, len, ADDR_UTF8, &a, &why)) {
      char safe[256];
      die(EX_DATAERR, "bad recipient address <%s>: %s", log_safe(r->s + p, safe, sizeof safe), why);
    }
    p += len + 1;
  }
}

int main(int argc, char **argv)
{
  static char in[INJECT_BUF], out[INJECT_BUF + 2];
  opts o;
  sa dom = SA_ZERO, sender = SA_ZERO, hdr = SA_ZERO, newh = SA_ZERO, rcpts = SA_ZERO, env = SA_ZERO;
  sa msgid = SA_ZERO, fallback = SA_ZERO;
  size_t nrcpt = 0, pos = 0, i, p;
  struct passwd *pw;
  char user[256], date[DATEFMT_MAX], path[INSTANCE_PATH_MAX];
  int eof, code, wok;
  msgfilter mf;
  queueprog q;

  log_init(argv[0]);
  parse_opts(argc, argv, &o);

  if (o.mode == 'i') return 0;               /* no alias database to rebuild */
  if (o.mode == 'p') {
    if (!mailq_list(instance_root(), stdout)) {
      if (errno == EACCES || errno == EPERM) die(EX_NOPERM, "only the administrator may list the queue");
      die_sys(EX_IOERR, "unable to list the queue");
    }
    if (fflush(stdout) != 0) die_sys(EX_IOERR, "unable to write");
    return 0;
  }

  errno = 0;
  pw = getpwuid(getuid());
  if (!pw) die(EX_NOUSER, "unknown user: uid %lu has no name", (unsigned long)getuid());
  if (strlen(pw->pw_name) >= sizeof user) die(EX_NOUSER, "user name too long");
  strcpy(user, pw->pw_name);

  if (o.mode == 's') {
    if (!instance_path(path, sizeof path, "bin/yubin-smtpd") || access(path, X_OK) != 0)
      die(EX_UNAVAILABLE, "-bs is unavailable: this instance has no bin/yubin-smtpd");
    if (setenv("PROTO", "LOCAL", 1) || setenv("LOCALUSER", user, 1) || setenv("RELAYCLIENT", "", 1))
      die_sys(EX_OSERR, "unable to set the environment");
    execl(path, "yubin-smtpd", (char *)0);
    die_sys(EX_UNAVAILABLE, "unable to run %s", path);
  }

  /* control files */
  code = control_readline("defaultdomain", &dom);
  if (code < 0) die_sys(EX_CONFIG, "unable to read control/defaultdomain");
  if (code == 0 || dom.len == 0) { if (!sa_copys(&dom, control_me())) die_sys(EX_OSERR, "out of memory"); }
  if (!sa_0(&dom)) die_sys(EX_OSERR, "out of memory");

  /* the envelope sender */
  if (o.from) {
    size_t n = 0;
    const char *s = o.from;
    if (!strcmp(s, "") || !strcmp(s, "<>")) {
      if (!sa_copys(&sender, "")) die_sys(EX_OSERR, "out of memory");
    } else {
      const char *why;
      if (!hdr_addrlist(s, strlen(s), dom.s, &sender, &n, &why) || n != 1) {
        char safe[256];
        die(EX_DATAERR, "bad sender address %s: %s", log_safe(s, safe, sizeof safe), n > 1 ? "more than one" : why);
      }
      sender.len--;   /* the NUL */
    }
  } else if (!sa_copys(&sender, user) || !sa_catc(&sender, '@') || !sa_cats(&sender, dom.s)) {
    die_sys(EX_OSERR, "out of memory");
  }
  if (!sa_0(&sender)) die_sys(EX_OSERR, "out of memory");
  if (sender.len) {
    addr a;
    const char *why = "bad address";
    char safe[256];
    if (!addr_parse_mailbox(sender.s, sender.len, ADDR_UTF8, &a, &why))
      die(EX_DATAERR, "bad sender address <%s>: %s", log_safe(sender.s, safe, sizeof safe), why);
  }
  if (!policy_sender_allowed(getuid(), user, sender.s)) {
    char safe[256];
    die(EX_NOPERM, "user %s may not send as <%s>", user, log_safe(sender.s, safe, sizeof safe));
  }

  /* recipients from the command line */
  for (i = 0; i < (size_t)o.nrcpt; i++) arg_rcpts(o.rcpts[i], dom.s, &rcpts, &nrcpt);

  /* the header: keep every field but Bcc, add what is missing, -t recipients */
  msgf_init(&mf, o.dot_ends);
  eof = read_header(&mf, &hdr);
  {
    char id[QUEUE_ID_LEN + 1], rnd[17];
    const char *why = "", *field = "";
    size_t field_len = 0;
    compose_opts co;
    uniq_queue_id(id);
    uniq_hex(rnd, 16);
    if (!sa_cats(&msgid, "<") || !sa_cats(&msgid, id) || !sa_catc(&msgid, '.') || !sa_cats(&msgid, rnd) ||
        !sa_catc(&msgid, '@') || !sa_cats(&msgid, control_me()) || !sa_catc(&msgid, '>') || !sa_0(&msgid))
      die_sys(EX_OSERR, "out of memory");
    if (!sender.len &&
        (!sa_copys(&fallback, user) || !sa_catc(&fallback, '@') || !sa_cats(&fallback, dom.s) || !sa_0(&fallback)))
      die_sys(EX_OSERR, "out of memory");
    co.take_rcpts = o.t;
    co.from_addr = sender.len ? sender.s : fallback.s;
    co.from_name = o.name;
    co.date = datefmt_rfc5322(time(0), date);
    co.msgid = msgid.s;
    co.domain = dom.s;
    switch (compose_header(hdr.s, hdr.len, eof, &co, &newh, &rcpts, &nrcpt, &pos, &why, &field, &field_len)) {
    case COMPOSE_OK: break;
    case COMPOSE_E_LONG: die(EX_DATAERR, "message header too long");
    case COMPOSE_E_ADDR: die(EX_DATAERR, "bad address in the %.*s field: %s", (int)field_len, field, why);
    default: die_sys(EX_OSERR, "out of memory");
    }
  }

  /* the envelope */
  if (nrcpt == 0) die(EX_DATAERR, "no recipients");
  nrcpt = dedup_rcpts(&rcpts, nrcpt);
  if (nrcpt > ENV_RCPT_MAX) die(EX_DATAERR, "too many recipients");
  check_rcpts(&rcpts, nrcpt);
  env.cap = ENV_WIRE_MAX;
  if (!envelope_put_sender(&env, sender.s, sender.len)) die_sys(EX_DATAERR, "bad sender address");
  for (i = 0, p = 0; i < nrcpt; i++) {
    size_t len = strlen(rcpts.s + p);
    if (!envelope_put_rcpt(&env, rcpts.s + p, len)) die_sys(EX_DATAERR, "bad recipient address");
    p += len + 1;
  }
  if (!envelope_put_end(&env)) die_sys(EX_OSERR, "out of memory");

  /* the injector: header, body so far, the rest of the input, envelope */
  if (!queueprog_start(&q, 0)) die_sys(EX_OSERR, "unable to run the queue injector");
  wok = write_all(q.msgfd, newh.s, newh.len) && write_all(q.msgfd, hdr.s + pos, hdr.len - pos);
  while (wok && !eof) {
    ssize_t r = read(0, in, sizeof in);
    size_t k;
    if (r < 0) {
      if (errno == EINTR) continue;
      die_sys(EX_IOERR, "unable to read the message");   /* the injector sees no envelope */
    }
    if (r == 0) { k = msgf_end(&mf, out); eof = 1; }
    else { k = msgf_feed(&mf, in, (size_t)r, out); if (mf.done) eof = 1; }
    wok = write_all(q.msgfd, out, k);
  }
  close(q.msgfd);
  q.msgfd = -1;
  if (wok) (void)write_all(q.envfd, env.s, env.len);
  code = queueprog_wait(&q);
  if (code < 0) die_sys(EX_OSERR, "unable to wait for the queue injector");
  if (code != 0) die(exit_for_queue(code), "queue injector failed with exit code %d: %s", code, queueprog_strerror(code));
  sa_free(&dom); sa_free(&sender); sa_free(&hdr); sa_free(&newh); sa_free(&rcpts); sa_free(&env);
  sa_free(&msgid); sa_free(&fallback);
  free(o.rcpts);
  return 0;
}
