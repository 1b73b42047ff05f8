/* Fuzzes the smtproutes, relayauth and tlsdestinations parsers: the input is
 * split into NUL-separated lines as control_readlines() returns them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *buf = malloc(size + 1), user[RELAY_USER_MAX + 1], pass[RELAY_PASS_MAX + 1];
  size_t i, count = 0;
  route r;
  int allow;
  if (!buf) return 0;
  memcpy(buf, data, size);
  buf[size] = 0;
  /* LF and NUL both end a line. */
  for (i = 0; i < size; i++) {
    if (buf[i] == '\n') buf[i] = 0;
    if (buf[i] == 0) count++;
  }
  if (size && buf[size - 1] != 0) count++;
  (void)route_find(buf, count, "sub.example.com", &r);
  (void)route_find(buf, count, "", &r);
  (void)route_parse_host((const char *)data, size, &r);
  (void)relayauth_find(buf, count, "relay.example.net", user, pass, &allow);
  (void)tlspolicy_find(buf, count, "example.com", "mx.example.com");
  free(buf);
  return 0;
}
