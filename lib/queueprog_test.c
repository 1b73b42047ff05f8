/* queueprog: the YUBINQUEUE choice and running a real injector program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "queueprog.h"
#include "test.h"

static char dir[64];

/* A shell script injector that stores fd 0 and fd 1 and exits with code. */
static const char *script(int code)
{
  static char path[128];
  FILE *f;
  snprintf(path, sizeof path, "%s/inj%d", dir, code);
  f = fopen(path, "w");
  if (!f) return 0;
  fprintf(f, "#!/bin/sh\ncat > %s/msg\ncat <&1 > %s/env\nexit %d\n", dir, dir, code);
  fclose(f);
  chmod(path, 0755);
  return path;
}

static int file_is(const char *name, const char *want, size_t n)
{
  char path[128], buf[256];
  FILE *f;
  size_t got;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "rb");
  if (!f) return 0;
  got = fread(buf, 1, sizeof buf, f);
  fclose(f);
  return got == n && memcmp(buf, want, n) == 0;
}

TEST(path_choice)
{
  char out[256];
  unsetenv(QUEUEPROG_ENV);
  CHECK(queueprog_path(out, sizeof out));
  CHECK(strlen(out) > 16 && strcmp(out + strlen(out) - 16, "/bin/yubin-queue") == 0);
  setenv(QUEUEPROG_ENV, "", 1);
  CHECK(queueprog_path(out, sizeof out));
  CHECK(strcmp(out + strlen(out) - 16, "/bin/yubin-queue") == 0);
  setenv(QUEUEPROG_ENV, "/usr/local/bin/scanner", 1);
  CHECK(queueprog_path(out, sizeof out));
  CHECK_STR(out, "/usr/local/bin/scanner");
  CHECK(!queueprog_path(out, 5));
  unsetenv(QUEUEPROG_ENV);
}

TEST(run)
{
  static const char env[] = "Fa@b\0Tc@d\0";
  CHECK(queueprog_run(script(0), "hello\n", 6, env, sizeof env) == 0);
  CHECK(file_is("msg", "hello\n", 6));
  CHECK(file_is("env", env, sizeof env));
  CHECK(queueprog_run(script(31), "x", 1, env, sizeof env) == 31);
  CHECK(queueprog_run("/nonexistent/injector", "x", 1, env, sizeof env) == 127);
  setenv(QUEUEPROG_ENV, script(53), 1);
  CHECK(queueprog_run(0, "x", 1, env, sizeof env) == 53);
  unsetenv(QUEUEPROG_ENV);
  CHECK_STR(queueprog_strerror(11), "address too long");
}

int main(void)
{
  char cmd[128];
  snprintf(dir, sizeof dir, "/tmp/yubin-qp-XXXXXX");
  if (!mkdtemp(dir)) return 1;
  RUN(path_choice);
  RUN(run);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) return 1;
  return test_report();
}
