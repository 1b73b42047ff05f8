/* yubin-setup: creates or refreshes an instance.  Interface: ctl/README.md.
 *   yubin-setup DIR [--port-offset N] [--standard-ports] [--me HOST]
 * Exit: 0 ok, 100 usage or DIR is not an instance, 111 system error. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "setup.h"

static _Noreturn void usage(void)
{
  die(100, "usage: yubin-setup DIR [--port-offset N] [--standard-ports] [--me HOST]");
}

int main(int argc, char **argv)
{
  setup_opts o = { 0, 0, 0, 0 };
  setup_ids ids;
  const char *dir = 0;
  char abs[PATH_MAX];
  int i, r;

  log_init(argv[0]);
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--port-offset") && i + 1 < argc) {
      char *end;
      const char *v = argv[++i];
      errno = 0;
      o.port_offset = strtoul(v, &end, 10);
      if (errno || *end || v[0] < '0' || v[0] > '9' || o.port_offset > SETUP_PORT_OFFSET_MAX)
        die(100, "--port-offset must be a number from 0 to %d", SETUP_PORT_OFFSET_MAX);
    } else if (!strcmp(argv[i], "--standard-ports")) {
      o.standard_ports = 1;
    } else if (!strcmp(argv[i], "--me") && i + 1 < argc) {
      o.me = argv[++i];
      if (!addr_domain_valid(o.me, strlen(o.me), 0)) die(100, "--me is not a host name: %s", o.me);
    } else if (argv[i][0] == '-' || dir) {
      usage();
    } else {
      dir = argv[i];
    }
  }
  if (!dir || !*dir) usage();

  r = setup_check_target(dir);
  if (r == 0) die(100, "%s is not a yubin instance (not an empty directory, and no control/ and queue/)", dir);
  if (r < 0) die_sys(111, "unable to read %s", dir);
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) die_sys(111, "unable to create %s", dir);
  if (!realpath(dir, abs)) die_sys(111, "unable to resolve %s", dir);
  o.root = abs;

  if (geteuid() == 0 && !setup_users()) die(111, "unable to create the Unix users");
  if (!setup_ids_load(&ids)) die(111, "unable to look up the Unix users");
  if (!ids.root) log_info("not running as root: every file belongs to uid %ld", (long)getuid());
  if (!setup_instance(&o, &ids)) die(111, "unable to set up %s", abs);
  log_info("instance ready in %s", abs);
  return 0;
}
