/* yubin-tcpd: a UCSPI-style TCP acceptor with connection limits and access
 * rules.  See net/README.md for arguments, files and exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "control.h"
#include "instance.h"
#include "log.h"
#include "privs.h"
#include "tcpd.h"

static void usage(void)
{
  die(100, "usage: yubin-tcpd [-h] [-u user] [-l listenfile] [-m maxconnfile] [-i peripfile] "
           "[-x accessfile] [-r refusal] [-d notifyfd] port program [arg...] | yubin-tcpd -C [accessfile]");
}

static int compile(const char *name)
{
  char src[INSTANCE_PATH_MAX], dst[INSTANCE_PATH_MAX], rel[256];
  size_t bad;
  if ((size_t)snprintf(rel, sizeof rel, "control/%s", name) >= sizeof rel ||
      !instance_path(src, sizeof src, rel)) die(100, "name too long: %s", name);
  if ((size_t)snprintf(dst, sizeof dst, "%s.cdb", src) >= sizeof dst) die(100, "name too long: %s", name);
  if (!access_compile(src, dst, &bad)) {
    if (bad) die(100, "control/%s line %zu: expected ADDRESS[/LEN] deny | allow [VAR=VALUE...]", name, bad);
    die_sys(111, "unable to compile control/%s", name);
  }
  log_info("compiled control/%s into control/%s.cdb", name, name);
  return 0;
}

int main(int argc, char **argv)
{
  static tcpd_config cf;
  const char *user = YUBIN_USER_DAEMON, *listenf = "listen", *maxf = "concurrencyincoming";
  const char *peripf = "concurrencyperip", *accessf = "access";
  char accesspath[INSTANCE_PATH_MAX], rel[256];
  sa lines = SA_ZERO;
  size_t n = 0, i, off = 0;
  int opt, notify = -1, r, lookup = 0;
  uid_t uid;
  gid_t gid;

  log_init(argv[0]);
  if (argc >= 2 && strcmp(argv[1], "-C") == 0) {
    if (argc > 3) usage();
    return compile(argc == 3 ? argv[2] : "access");
  }
  while ((opt = getopt(argc, argv, "+hu:l:m:i:x:r:d:")) != -1) {
    switch (opt) {
    case 'h': lookup = 1; break;
    case 'u': user = optarg; break;
    case 'l': listenf = optarg; break;
    case 'm': maxf = optarg; break;
    case 'i': peripf = optarg; break;
    case 'x': accessf = optarg; break;
    case 'r': cf.refusal = strlen(optarg) < 200 ? optarg : NULL; break;
    case 'd': notify = atoi(optarg); if (notify < 3) usage(); break;
    default: usage();
    }
  }
  if (argc - optind < 2) usage();
  /* The notification descriptor must be open before any socket takes its number. */
  if (notify >= 0 && fcntl(notify, F_GETFD) < 0) die(100, "notification descriptor %d is not open", notify);
  cf.argv = argv + optind + 1;

  /* Control files. */
  cf.maxconn = control_ulong_or(maxf, 40, 1, TCPD_CONN_MAX);
  cf.maxperip = control_ulong_or(peripf, 10, 1, TCPD_CONN_MAX);
  if (lookup) cf.rdns_ms = (int)control_ulong_or("timeoutrdns", 3000, 1, 60000);
  if ((size_t)snprintf(rel, sizeof rel, "control/%s.cdb", accessf) >= sizeof rel ||
      !instance_path(accesspath, sizeof accesspath, rel))
    die(100, "name too long: %s", accessf);
  cf.access_cdb = accesspath;
  r = control_readlines(listenf, &lines, &n);
  if (r < 0) die_sys(111, "unable to read control/%s", listenf);
  if (r == 0 || n == 0) { sa_copys(&lines, "127.0.0.1"); sa_catc(&lines, 0); n = 1; }
  if (n > TCPD_LISTEN_MAX) die(100, "control/%s: at most %d addresses", listenf, TCPD_LISTEN_MAX);

  /* Bind (the only thing done with privilege). */
  for (i = 0; i < n; i++) {
    const char *ip = lines.s + off;
    off += strlen(ip) + 1;
    cf.fds[cf.nfds] = tcpd_listen(ip, argv[optind]);
    if (cf.fds[cf.nfds] < 0) die_sys(111, "unable to listen on %s port %s", ip, argv[optind]);
    log_info("listening on %s port %s", ip, argv[optind]);
    cf.nfds++;
  }

  if (!instance_is_root()) log_info("not started as root: sessions run as uid %ld", (long)getuid());
  sa_free(&lines);
  if (privs_user(user, &uid, &gid) != 1) die_sys(111, "unable to find user %s", user);
  if (!privs_drop(uid, gid)) die_sys(111, "unable to drop privileges to %s", user);
  if (notify >= 0) {
    (void)!write(notify, "\n", 1);
    close(notify);
  }
  return tcpd_serve(&cf);
}
