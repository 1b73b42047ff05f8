#include <string.h>

#include "dns.h"
#include "test.h"

TEST(mx_sorted_by_preference)
{
  dns_mx mx[4] = { { 20, "b" }, { 10, "a" }, { 30, "c" }, { 5, "z" } };
  dns_mx_sort(mx, 4);
  CHECK(mx[0].pref == 5 && mx[1].pref == 10 && mx[2].pref == 20 && mx[3].pref == 30);
  CHECK_STR(mx[0].host, "z");
  CHECK_STR(mx[3].host, "c");
}

TEST(equal_preferences_shuffled)
{
  int first_a = 0, first_b = 0, i;
  for (i = 0; i < 200; i++) {
    dns_mx mx[3] = { { 10, "a" }, { 10, "b" }, { 5, "best" } };
    dns_mx_sort(mx, 3);
    CHECK_STR(mx[0].host, "best");
    if (strcmp(mx[1].host, "a") == 0) first_a++; else first_b++;
  }
  /* Both orders occur (the chance of either count being 0 is 2^-199). */
  CHECK(first_a > 0 && first_b > 0);
}

int main(void)
{
  RUN(mx_sorted_by_preference);
  RUN(equal_preferences_shuffled);
  return test_report();
}
