/* yubin-send: the queue manager.  Started by yubin-start with its helpers on
 * descriptors 4..9 and the s6 notification descriptor 3 (send/README.md). */
#include <sys/stat.h>
#include <unistd.h>

#include "instance.h"
#include "log.h"
#include "mgr.h"

int main(int argc, char **argv)
{
  char q[INSTANCE_PATH_MAX];
  (void)argv;
  log_init("yubin-send");
  if (argc != 1) die(100, "usage: yubin-send (started by yubin-start)");
  if (!instance_path(q, sizeof q, "queue") || chdir(q) != 0) die_sys(111, "unable to enter the queue");
  umask(077);
  return mgr_run();
}
