#include "instance.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef YUBIN_DEFAULT_ROOT
#define YUBIN_DEFAULT_ROOT "/var/yubin"
#endif

static char root[INSTANCE_PATH_MAX];

const char *instance_root(void)
{
  ssize_t n;
  char *slash;
  if (root[0]) return root;
  n = readlink("/proc/self/exe", root, sizeof root - 1);
  if (n > 0 && (size_t)n < sizeof root - 1) {
    root[n] = 0;
    /* ROOT/bin/prog -> ROOT */
    slash = strrchr(root, '/');
    if (slash) *slash = 0;
    slash = strrchr(root, '/');
    if (slash && slash != root) { *slash = 0; return root; }
    if (slash == root) { root[1] = 0; return root; }
  }
  snprintf(root, sizeof root, "%s", YUBIN_DEFAULT_ROOT);
  return root;
}

int instance_path(char *out, size_t n, const char *rel)
{
  int r = snprintf(out, n, "%s/%s", instance_root(), rel);
  if (r < 0 || (size_t)r >= n) { errno = ENAMETOOLONG; return 0; }
  return 1;
}

int instance_is_root(void) { return getuid() == 0 || geteuid() == 0; }
