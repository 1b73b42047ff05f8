/* yubinctl: the administration and control-panel CLI of an instance.
 *   yubinctl [--json] NOUN VERB [ARGS...]      (ctl/README.md)
 * Works on the instance it is installed in (ROOT/bin/yubinctl).
 * Exit: 0 ok, 100 usage or invalid input, 111 temporary or system error. */
#include <string.h>

#include "cmd.h"
#include "instance.h"
#include "log.h"
#include "out.h"

static _Noreturn void usage(void)
{
  ctl_fail(CTL_USAGE, "usage: yubinctl [--json] domain|account|alias|sender|forward|queue|rebuild ... "
                      "(see ctl/README.md)");
}

int main(int argc, char **argv)
{
  static const struct { const char *noun; int (*fn)(const char *, int, char **); } nouns[] = {
    { "domain", cmd_domain }, { "account", cmd_account }, { "alias", cmd_alias }, { "sender", cmd_sender },
    { "forward", cmd_forward }, { "queue", cmd_queue }, { "rebuild", cmd_rebuild },
  };
  const char *root;
  size_t k;
  int i = 1;

  log_init(argv[0]);
  while (i < argc && argv[i][0] == '-') {
    if (!strcmp(argv[i], "--json")) out_json = 1;
    else if (!strcmp(argv[i], "--")) { i++; break; }
    else usage();
    i++;
  }
  /* --json may also come after the command, as panels tend to append it */
  {
    int j, n = i;
    for (j = i; j < argc; j++) {
      if (!strcmp(argv[j], "--json")) { out_json = 1; continue; }
      argv[n++] = argv[j];
    }
    argc = n;
  }
  if (i >= argc) usage();
  root = instance_root();
  for (k = 0; k < sizeof nouns / sizeof nouns[0]; k++) {
    if (!strcmp(argv[i], nouns[k].noun)) return nouns[k].fn(root, argc - i - 1, argv + i + 1);
  }
  usage();
}
