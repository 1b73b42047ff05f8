/* libFuzzer target: base subjects and both threading algorithms over
 * messages made from the input (one message per line: "subject|message-id|
 * references|in-reply-to|date"): never a crash, every message shown once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "subject.h"
#include "thread.h"

#define FUZZ_MSGS 64

static size_t count_nums(const sa *out)
{
  size_t i, k = 0;
  for (i = 0; i < out->len; i++)
    if (out->s[i] >= '0' && out->s[i] <= '9' && (i == 0 || out->s[i - 1] < '0' || out->s[i - 1] > '9')) k++;
  return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *buf = malloc(size + 1), *line, *save = 0;
  thread_msg m[FUZZ_MSGS];
  sa subj[FUZZ_MSGS], out = SA_ZERO;
  size_t n = 0, i;
  if (!buf) return 0;
  memcpy(buf, data, size);
  buf[size] = 0;
  memset(subj, 0, sizeof subj);
  for (line = strtok_r(buf, "\n", &save); line && n < FUZZ_MSGS; line = strtok_r(0, "\n", &save)) {
    char *f[5] = { line, 0, 0, 0, 0 }, *p;
    size_t k;
    for (k = 1; k < 5 && (p = strchr(f[k - 1], '|')); k++) { *p = 0; f[k] = p + 1; }
    if (!subject_base(f[0], strlen(f[0]), &subj[n], &m[n].reply) || !sa_0(&subj[n])) continue;
    m[n].num = (uint32_t)(n + 1);
    m[n].subject = subj[n].s;
    m[n].msgid = f[1];
    m[n].refs = f[2];
    m[n].inreplyto = f[3];
    m[n].date = f[4] ? (time_t)atoi(f[4]) : 0;
    n++;
  }
  if (thread_references(m, n, &out) && count_nums(&out) != n) __builtin_trap();
  out.len = 0;
  if (thread_orderedsubject(m, n, &out) && count_nums(&out) != n) __builtin_trap();
  for (i = 0; i < FUZZ_MSGS; i++) sa_free(&subj[i]);
  sa_free(&out);
  free(buf);
  return 0;
}
