/* yubin-imapd: one IMAP session after login, as the account's uid, on its
 * Maildir (RFC 3501 authenticated and selected states).  Started by
 * yubin-auth imap after a successful login, or directly for a
 * pre-authenticated session.  Interface: imapd/README.md.
 * Exit: 0 session over, 100 usage, 111 temporary failure. */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authrun.h"
#include "imapcmd.h"
#include "log.h"
#include "session.h"

#define IMAP_TIMEOUT_MS (30 * 60 * 1000)   /* RFC 3501 5.4: at least 30 minutes */

int main(int argc, char **argv)
{
  static session s;
  static char pending[IMAP_LINE_MAX];
  long np;
  const char *md = getenv("MAILDIR"), *user = getenv("USER"), *ip = getenv("TCPREMOTEIP");
  struct stat st;
  char safe[200];

  log_init(argv[0]);
  if (argc != 1) die(100, "usage: yubin-imapd");
  if (!md || !*md) md = "./Maildir";
  if (stat(md, &st) < 0 || !S_ISDIR(st.st_mode)) die_sys(111, "unable to open the Maildir %s", md);
  signal(SIGPIPE, SIG_IGN);
  /* the message list of a large folder is replaced on each refresh: large
   * blocks always in mappings of their own, given back when freed (the
   * threshold would otherwise rise to their size and keep them in the heap) */
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  /* after a login stage: say we have the mailbox, take what the client
   * pipelined; the login stage has sent the tagged OK */
  s.greeting = !authrun_status(AUTHRUN_READY);
  if ((np = authrun_input(pending, sizeof pending)) < 0) die(111, "too much pipelined input");

  snprintf(s.id, sizeof s.id, "%ld", (long)getpid());
  s.maildir = md;
  s.timeout_ms = IMAP_TIMEOUT_MS;
  s.pending = pending;
  s.npending = (size_t)np;
  log_info("%s session user=%s ip=%s", s.id, log_safe(user ? user : "-", safe, sizeof safe),
           ip ? ip : "-");
  return session_run(&s);
}
