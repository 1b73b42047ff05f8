/* libFuzzer target: base subjects and both threading algorithms over
 * messages made from the input (one message per line: "subject|message-id|
 * references|in-reply-to|date"): never a crash, every message shown once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strrank.h"
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
  uint32_t ids[FUZZ_MSGS];
  sa subj = SA_ZERO, out = SA_ZERO;
  strrank *rk = strrank_new(FUZZ_MSGS);
  thread_refs *tr = thread_refs_new(FUZZ_MSGS);
  size_t n = 0;
  int ok = buf && rk && tr;
  if (ok) {
    memcpy(buf, data, size);
    buf[size] = 0;
  }
  for (line = ok ? strtok_r(buf, "\n", &save) : 0; line && n < FUZZ_MSGS; line = strtok_r(0, "\n", &save)) {
    char *f[5] = { line, 0, 0, 0, 0 }, *p;
    size_t k;
    for (k = 1; k < 5 && (p = strchr(f[k - 1], '|')); k++) { *p = 0; f[k] = p + 1; }
    int reply;
    if (!subject_base(f[0], strlen(f[0]), &subj, &reply) || !strrank_add(rk, subj.s ? subj.s : "", subj.len, &ids[n]) ||
        !thread_refs_add(tr, f[1], f[2], f[3])) {
      ok = 0;
      break;
    }
    m[n].num = (uint32_t)(n + 1);
    m[n].reply = reply ? 1u : 0u;
    m[n].date = f[4] ? (time_t)atoi(f[4]) : 0;
    n++;
  }
  if (ok && strrank_finish(rk)) {
    size_t i;
    for (i = 0; i < n; i++) m[i].subject = strrank_rank(rk, ids[i]);
    if (thread_references(tr, m, n, &out, 0) && count_nums(&out) != n) __builtin_trap();
    out.len = 0;
    if (thread_orderedsubject(m, n, &out, 0) && count_nums(&out) != n) __builtin_trap();
  }
  strrank_free(rk);
  thread_refs_free(tr);
  sa_free(&subj);
  sa_free(&out);
  free(buf);
  return 0;
}
