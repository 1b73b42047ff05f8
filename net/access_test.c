/* Unit tests for access rules: parsing, compiling and longest-prefix lookup. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "test.h"

#define S(x) x, strlen(x)

TEST(parse)
{
  access_key k;
  char v[ACCESS_VALUE_MAX];
  size_t vl;
  CHECK(access_parse_line(S("10.0.0.0/8 allow RELAYCLIENT="), &k, v, &vl) == 1);
  CHECK(k.len == 6 && k.k[0] == 4 && k.k[1] == 8 && k.k[2] == 10);
  CHECK(vl == 14 && v[0] == 'A' && memcmp(v + 1, "RELAYCLIENT=\0", 13) == 0);
  CHECK(access_parse_line(S("10.1.2.3/8 deny"), &k, v, &vl) == 1 && k.k[3] == 0 && v[0] == 'D');
  CHECK(access_parse_line(S("  # comment"), &k, v, &vl) == 0);
  CHECK(access_parse_line(S(""), &k, v, &vl) == 0);
  CHECK(access_parse_line(S("2001:db8::/32 deny"), &k, v, &vl) == 1 && k.len == 18);
  CHECK(access_parse_line(S("10.0.0.0/33 deny"), &k, v, &vl) == -1);
  CHECK(access_parse_line(S("10.0.0.0/ deny"), &k, v, &vl) == -1);
  CHECK(access_parse_line(S("10.0.0.0 permit"), &k, v, &vl) == -1);
  CHECK(access_parse_line(S("10.0.0.0 deny X=1"), &k, v, &vl) == -1);
  CHECK(access_parse_line(S("10.0.0.0 allow =1"), &k, v, &vl) == -1);
  CHECK(access_parse_line(S("host.example allow"), &k, v, &vl) == -1);
}

TEST(compile_lookup)
{
  char dir[] = "/tmp/yubin-access-XXXXXX", src[128], dst[128], v[ACCESS_VALUE_MAX];
  size_t bad, vl;
  struct cdb c;
  FILE *f;
  int fd;
  CHECK(mkdtemp(dir) != NULL);
  snprintf(src, sizeof src, "%s/access", dir);
  snprintf(dst, sizeof dst, "%s/access.cdb", dir);
  f = fopen(src, "w");
  fputs("# rules\n10.0.0.0/8 allow RELAYCLIENT=\n10.9.0.0/16 deny\n127.0.0.1 allow RELAYCLIENT= X=y\n"
        "2001:db8::/32 allow RELAYCLIENT=\n2001:db8:bad::/48 deny\n", f);
  fclose(f);
  CHECK(access_compile(src, dst, &bad) == 1);
  fd = open(dst, O_RDONLY);
  CHECK(fd >= 0 && cdb_init(&c, fd) == 0);
  CHECK(access_lookup(&c, "10.1.2.3", v, &vl) == 1 && vl == 13);
  CHECK(access_lookup(&c, "10.9.2.3", v, &vl) == 0);
  CHECK(access_lookup(&c, "::ffff:10.9.2.3", v, &vl) == 0);
  CHECK(access_lookup(&c, "127.0.0.1", v, &vl) == 1 && vl == 17 && memcmp(v + 13, "X=y", 4) == 0);
  CHECK(access_lookup(&c, "127.0.0.2", v, &vl) == 1 && vl == 0);
  CHECK(access_lookup(&c, "2001:db8::1", v, &vl) == 1 && vl == 13);
  CHECK(access_lookup(&c, "2001:db8:bad::1", v, &vl) == 0);
  CHECK(access_lookup(&c, "2001:db9::1", v, &vl) == 1 && vl == 0);
  cdb_free(&c);
  close(fd);
  f = fopen(src, "w");
  fputs("10.0.0.0/8 allow\nnonsense\n", f);
  fclose(f);
  CHECK(access_compile(src, dst, &bad) == 0 && bad == 2);
  unlink(src);
  unlink(dst);
  rmdir(dir);
}

int main(void)
{
  RUN(parse);
  RUN(compile_lookup);
  return test_report();
}
