/* yubin-pop3d: one POP3 session in the TRANSACTION and UPDATE states
 * (RFC 1939, 2449), as the account's uid, in its Maildir.  Started by
 * yubin-auth after a successful login; the interface is in pop3d/README.md
 * and lib/authrun.h.  Exit: 0 session over, 3 maildrop in use, 100 usage,
 * 111 temporary failure. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authrun.h"
#include "control.h"
#include "linebuf.h"
#include "log.h"
#include "maildrop.h"
#include "msgconv.h"
#include "pop3cmd.h"
#include "pop3io.h"

static maildrop md = MAILDROP_ZERO;
static char who[300], ip[64];
static unsigned long retrieved;

/* Message i (1-based, from the client) or NULL after an -ERR reply. */
static maildrop_msg *message(unsigned long n)
{
  if (n == 0 || n > md.n) { out_printf("-ERR no such message, only %zu in the maildrop\r\n", md.n); return 0; }
  if (md.msg[n - 1].deleted) { out_printf("-ERR message %lu is deleted\r\n", n); return 0; }
  return &md.msg[n - 1];
}

static void totals(size_t *count, unsigned long long *octets)
{
  size_t i;
  *count = 0;
  *octets = 0;
  for (i = 0; i < md.n; i++)
    if (!md.msg[i].deleted) { (*count)++; *octets += md.msg[i].size; }
}

static void listing(int uidl, const pop3_cmd *c)
{
  char u[MAILDROP_NAME_MAX + 1];
  size_t i;
  if (c->nnum == 1) {
    maildrop_msg *m = message(c->num[0]);
    if (!m) return;
    if (!uidl) out_printf("+OK %lu %lu\r\n", c->num[0], (unsigned long)m->size);
    else if (maildrop_uidl(&md, c->num[0] - 1, u)) out_printf("+OK %lu %s\r\n", c->num[0], u);
    else die_sys(111, "unable to read the maildrop index");
    return;
  }
  out_puts(uidl ? "+OK unique-id listing follows\r\n" : "+OK scan listing follows\r\n");
  for (i = 0; i < md.n; i++) {
    const maildrop_msg *m = &md.msg[i];
    if (m->deleted) continue;
    if (!uidl) out_printf("%zu %lu\r\n", i + 1, (unsigned long)m->size);
    else if (maildrop_uidl(&md, i, u)) out_printf("%zu %s\r\n", i + 1, u);
    else die_sys(111, "unable to read the maildrop index");
  }
  out_puts(".\r\n");
}

/* RETR (top < 0) and TOP. */
static void send_message(unsigned long n, long top)
{
  static char in[POP3_OUT_SIZE / 4];
  char path[MAILDROP_PATH_MAX];
  maildrop_msg *m = message(n);
  msgconv mc;
  int fd;
  if (!m) return;
  if (!maildrop_path(&md, n - 1, path)) die_sys(111, "unable to read the maildrop index");
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) { out_printf("-ERR message %lu was removed by another program\r\n", n); return; }
    out_printf("-ERR [SYS/TEMP] unable to read message %lu\r\n", n);
    warn_sys("unable to open %s", path);
    return;
  }
  if (top < 0) out_printf("+OK %lu octets\r\n", (unsigned long)m->size);
  else out_puts("+OK top of message follows\r\n");
  msgconv_init(&mc, 1, top);
  while (!mc.done) {
    ssize_t r = read(fd, in, sizeof in);
    char *o;
    if (r < 0) { if (errno == EINTR) continue; die_sys(111, "unable to read %s", path); }
    if (r == 0) break;
    o = out_room(2 * (size_t)r);
    out_commit(msgconv_feed(&mc, in, (size_t)r, o));
  }
  close(fd);
  out_commit(msgconv_finish(&mc, out_room(2)));
  out_puts(".\r\n");
  if (top < 0) retrieved++;
}

static void quit(void)
{
  size_t i, del = 0, failed;
  for (i = 0; i < md.n; i++) if (md.msg[i].deleted) del++;
  failed = maildrop_update(&md);
  if (failed) out_printf("-ERR [SYS/TEMP] %zu deleted messages could not be removed\r\n", failed);
  else out_printf("+OK %zu messages deleted, bye\r\n", del);
  out_flush();
  log_info("%ld quit user=%s ip=%s retrieved=%lu deleted=%zu failed=%zu", (long)getpid(), who, ip,
           retrieved, del - failed, failed);
  exit(0);
}

static void command(pop3_cmd *c)
{
  size_t count, i;
  unsigned long long octets;
  switch (c->verb) {
  case POP3_STAT:
    totals(&count, &octets);
    out_printf("+OK %zu %llu\r\n", count, octets);
    break;
  case POP3_LIST: listing(0, c); break;
  case POP3_UIDL: listing(1, c); break;
  case POP3_RETR: send_message(c->num[0], -1); break;
  case POP3_TOP: send_message(c->num[0], (long)c->num[1]); break;
  case POP3_DELE:
    if (message(c->num[0])) { md.msg[c->num[0] - 1].deleted = 1; out_printf("+OK message %lu deleted\r\n", c->num[0]); }
    break;
  case POP3_RSET:
    for (i = 0; i < md.n; i++) md.msg[i].deleted = 0;
    totals(&count, &octets);
    out_printf("+OK maildrop has %zu messages (%llu octets)\r\n", count, octets);
    break;
  case POP3_NOOP: out_puts("+OK\r\n"); break;
  case POP3_CAPA:
    out_puts("+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
             "PIPELINING\r\nIMPLEMENTATION yubin\r\n.\r\n");
    break;
  case POP3_QUIT: quit(); break;
  default: out_puts("-ERR command not valid after login\r\n"); break;
  }
}

int main(int argc, char **argv)
{
  static char lbuf[POP3_LINE_MAX];
  char line[POP3_LINE_MAX + 1];
  const char *s;
  unsigned long timeout;
  size_t count;
  unsigned long long octets;
  linebuf lb;

  log_init(argv[0]);
  if (argc != 1) die(100, "usage: yubin-pop3d (started by yubin-auth pop3)");
  signal(SIGPIPE, SIG_IGN);
  log_safe(getenv("USER"), who, sizeof who);
  log_safe(getenv("TCPREMOTEIP") ? getenv("TCPREMOTEIP") : "unknown", ip, sizeof ip);
  timeout = control_ulong_or("pop3timeout", 600, 10, 86400);
  s = getenv("MAILDIR");
  if (s && *s && chdir(s) != 0) die_sys(111, "unable to enter the maildir of %s", who);
  if ((!s || !*s) && chdir("Maildir") != 0) die_sys(111, "unable to enter the maildir of %s", who);

  if (!maildrop_open(&md)) {
    if (errno == EWOULDBLOCK) {
      log_info("%ld in-use user=%s ip=%s", (long)getpid(), who, ip);
      authrun_status(AUTHRUN_BUSY);
      return 3;
    }
    die_sys(111, "unable to open the maildrop of %s", who);
  }

  lb_init(&lb, 0, lbuf, sizeof lbuf, (int)(timeout * 1000));
  authrun_status(AUTHRUN_READY);
  {
    /* commands the client pipelined behind its login; EOF once the login
     * stage has recorded the login */
    long np = authrun_input(lb.buf + lb.end, lb.size - lb.end);
    if (np < 0) die(111, "too much pipelined input");
    lb.end += (size_t)np;
  }
  out_init(1, (int)(timeout * 1000));
  totals(&count, &octets);
  out_printf("+OK maildrop has %zu messages (%llu octets)\r\n", count, octets);
  out_flush();
  log_info("%ld session user=%s ip=%s messages=%zu octets=%llu measured=%zu", (long)getpid(), who, ip,
           count, octets, md.measured);

  for (;;) {
    const char *l;
    size_t len;
    pop3_cmd c;
    int r = lb_getline(&lb, &l, &len);
    if (r == 0) break;
    if (r < 0) {
      if (errno == ERANGE) { out_puts("-ERR line too long\r\n"); out_flush(); continue; }
      if (errno == ETIMEDOUT) { out_puts("-ERR autologout: idle too long\r\n"); out_flush(); }
      break;
    }
    memcpy(line, l, len);
    switch (pop3_parse(line, len, &c)) {
    case POP3_OK: command(&c); break;
    case POP3_EUNKNOWN: out_puts("-ERR unknown command\r\n"); break;
    case POP3_EEMPTY: out_puts("-ERR empty command\r\n"); break;
    default: out_printf("-ERR syntax error in %s\r\n", pop3_verb_name(c.verb)); break;
    }
    if (lb_pending(&lb) == 0 || !memchr(lb.buf + lb.start, '\n', lb_pending(&lb))) out_flush();
  }
  log_info("%ld dropped user=%s ip=%s retrieved=%lu deleted=0", (long)getpid(), who, ip, retrieved);
  return 0;
}
