/* yubin-tlsd: TLS between the network and a protocol daemon.
 *
 *   yubin-tlsd [-s] [-u USER] PROG [ARG...]
 *
 * Started with the network connection on fds 0 and 1 (under yubin-tcpd or
 * tcpserver), as root when the key is readable only by root.  It loads every
 * certificate and key of control/tls/ (before reading anything from the
 * network), starts PROG as USER (default yubind) on a socketpair, drops
 * itself to yubint, and relays: TLS records on the network side, plaintext
 * on the daemon's side.  -s: STARTTLS mode; the session starts in plaintext
 * and the daemon asks for TLS on the control channel (net/README.md).
 * Without -s the handshake happens at once (implicit TLS, ports 465/993/995).
 * Exit: 0 connection ended, 100 usage, 111 system error or TLS failure. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "instance.h"
#include "log.h"
#include "privs.h"
#include "tlscert.h"
#include "tlsrelay.h"

#define CTL_FD 3   /* the daemon's end of the control channel */

static unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
static br_ssl_server_context cc;
static tlscert_set certs;

/* AES-GCM first: BearSSL uses AES-NI and PCLMULQDQ for it where the CPU has
 * them, which is faster than its ChaCha20 code. */
static const uint16_t suites_modern[] = {
  BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};
static const uint16_t suites_legacy[] = {
  BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
  BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
  BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
  BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
  BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
};

static void usage(void) { die(100, "usage: yubin-tlsd [-s] [-u user] prog [arg...]"); }

/* The daemon's side: wait for the TLS parameters (implicit mode), put them
 * in the environment, and become PROG. */
static _Noreturn void run_daemon(int app, int ctl, int starttls, char **argv)
{
  if (dup2(app, 0) < 0 || dup2(app, 1) < 0) die_sys(111, "unable to set up descriptors");
  if (ctl != CTL_FD) { if (dup2(ctl, CTL_FD) < 0) die_sys(111, "unable to set up descriptors"); close(ctl); }
  if (app > 1) close(app);
  if (starttls) {
    setenv("TLSCTL", "3", 1);
  } else {
    /* Implicit TLS: the parameters arrive once the handshake is done. */
    char msg[512];
    size_t got = 0;
    while (got < sizeof msg - 1) {
      ssize_t r = read(CTL_FD, msg + got, sizeof msg - 1 - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) _exit(0); /* handshake failed: tlsd logged why */
      got += (size_t)r;
      if (msg[got - 1] == '\n') break;
    }
    if (got < 2 || msg[0] != 'K' || msg[got - 1] != '\n') _exit(111);
    msg[got - 1] = 0;
    for (char *p = msg + 1; p < msg + got - 1; p += strlen(p) + 1) {
      char *eq = strchr(p, '=');
      if (eq) { *eq = 0; setenv(p, eq + 1, 1); *eq = '='; }
    }
    setenv("TLS", "1", 1);
    close(CTL_FD);
  }
  execvp(argv[0], argv);
  die_sys(111, "unable to run %s", argv[0]);
}

int main(int argc, char **argv)
{
  int opt, starttls = 0, app[2], ctl[2];
  const char *user = YUBIN_USER_DAEMON, *why = 0;
  char dir[INSTANCE_PATH_MAX], whybuf[512];
  uid_t duid, tuid;
  gid_t dgid, tgid;
  pid_t pid;
  tlsrelay r;

  log_init(argv[0]);
  while ((opt = getopt(argc, argv, "+su:")) != -1) {
    if (opt == 's') starttls = 1;
    else if (opt == 'u') user = optarg;
    else usage();
  }
  if (optind >= argc) usage();
  signal(SIGPIPE, SIG_IGN);

  /* Privileged part: read the keys.  Nothing has come from the network yet. */
  if (!instance_path(dir, sizeof dir, "control/tls")) die_sys(111, "instance path too long");
  if (privs_user(user, &duid, &dgid) != 1) die_sys(111, "unknown user %s", user);
  if (!tlscert_load_dir(&certs, dir, &why, whybuf, sizeof whybuf)) {
    if (!starttls) die(111, "no usable certificate: %s", why ? why : "unknown");
    /* STARTTLS mode without a certificate: the daemon runs in plaintext and
     * does not offer STARTTLS (TLSCTL is not set). */
    log_warn("no usable certificate, STARTTLS not offered: %s", why ? why : "unknown");
    if (!privs_drop(duid, dgid)) die_sys(111, "unable to drop privileges to %s", user);
    execvp(argv[optind], argv + optind);
    die_sys(111, "unable to run %s", argv[optind]);
  }
  if (why) log_warn("skipped: %s", why);
  if (privs_user(YUBIN_USER_TLS, &tuid, &tgid) != 1) die_sys(111, "unknown user %s", YUBIN_USER_TLS);

  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, app) != 0) die_sys(111, "unable to create socketpair");
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, ctl) != 0) die_sys(111, "unable to create socketpair");
  pid = fork();
  if (pid < 0) die_sys(111, "unable to fork");
  if (pid == 0) {
    close(app[0]);
    close(ctl[0]);
    close(0); close(1);
    /* The daemon never sees the keys: free them before it runs. */
    if (!privs_drop(duid, dgid)) die_sys(111, "unable to drop privileges to %s", user);
    {
      int fl_app = app[1];
      int flags;
      /* the socketpair end must survive exec */
      flags = dup(fl_app);
      if (flags < 0) die_sys(111, "dup");
      close(fl_app);
      run_daemon(flags, ctl[1], starttls, argv + optind);
    }
  }
  close(app[1]);
  close(ctl[1]);
  if (!privs_drop(tuid, tgid)) die_sys(111, "unable to drop privileges to %s", YUBIN_USER_TLS);

  {
    tlscert *first = certs.certs[tlscert_pick(&certs, 0)];
    if (first->key_type == BR_KEYTYPE_RSA)
      br_ssl_server_init_full_rsa(&cc, first->chain, first->chain_len, br_skey_decoder_get_rsa(&first->key));
    else
      br_ssl_server_init_full_ec(&cc, first->chain, first->chain_len, (unsigned)first->issuer_key_type,
                                 br_skey_decoder_get_ec(&first->key));
  }
  br_ssl_engine_set_versions(&cc.eng, BR_TLS12, BR_TLS12);
  {
    sa dummy = SA_ZERO;
    if (control_readline("tls/legacy", &dummy) == 1)
      br_ssl_engine_set_suites(&cc.eng, suites_legacy, sizeof suites_legacy / sizeof suites_legacy[0]);
    else
      br_ssl_engine_set_suites(&cc.eng, suites_modern, sizeof suites_modern / sizeof suites_modern[0]);
    sa_free(&dummy);
  }
  br_ssl_engine_add_flags(&cc.eng, BR_OPT_ENFORCE_SERVER_PREFERENCES | BR_OPT_NO_RENEGOTIATION);
  tlscert_install(&certs, &cc);

  /* The handshake is several small writes in a row: without TCP_NODELAY,
   * Nagle's algorithm holds each back until the client's delayed ACK, some
   * 40 ms per connection.  (Not a TCP socket, e.g. in tests: no harm.) */
  {
    int one = 1;
    (void)setsockopt(1, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  memset(&r, 0, sizeof r);
  r.net_in = 0;
  r.net_out = 1;
  r.app = app[0];
  r.ctl = ctl[0];
  r.cc = &cc;
  r.iobuf = iobuf;
  r.iolen = sizeof iobuf;
  r.handshake_timeout_ms = 60 * 1000;
  r.idle_timeout_ms = 30 * 60 * 1000;

  if (starttls && !tlsrelay_plain(&r)) {
    shutdown(r.app, SHUT_RDWR);
    waitpid(pid, 0, 0);
    return 0;
  }
  if (!tlsrelay_tls(&r, &why)) {
    char ip[64];
    log_info("tls failed ip=%s reason=%s", log_safe(getenv("TCPREMOTEIP"), ip, sizeof ip), why ? why : "?");
    shutdown(r.app, SHUT_RDWR);
    close(r.ctl);
    waitpid(pid, 0, 0);
    return 111;
  }
  shutdown(r.app, SHUT_RDWR);
  close(r.ctl);
  waitpid(pid, 0, 0);
  return 0;
}
