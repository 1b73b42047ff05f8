#include "results.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "spawn.h"

int results_local(sa *out, const char *rcpt, const char *o, size_t len, int st, int timedout)
{
  char text[RESULT_TEXT_MAX + 1];
  size_t n = 0;
  const char *result;
  while (n < len && n < RESULT_TEXT_MAX && o[n] != '\n') { text[n] = o[n] ? o[n] : ' '; n++; }
  while (n && (text[n - 1] == '\r' || text[n - 1] == ' ')) n--;
  text[n] = 0;
  if (timedout) { result = "temp"; snprintf(text, sizeof text, "4.3.0 local delivery timed out"); }
  else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) { result = "ok"; if (!n) snprintf(text, sizeof text, "2.0.0 delivered"); }
  else if (WIFEXITED(st) && WEXITSTATUS(st) == 100) { result = "perm"; if (!n) snprintf(text, sizeof text, "5.0.0 permanent failure"); }
  else if (WIFEXITED(st) && WEXITSTATUS(st) == 111) { result = "temp"; if (!n) snprintf(text, sizeof text, "4.0.0 temporary failure"); }
  else { result = "temp"; snprintf(text, sizeof text, "4.3.0 yubin-local crashed"); }
  return spawn_line(out, result, rcpt, "-", text);
}

int results_remote(sa *out, const char *const *rcpt, size_t n, const char *o, size_t len, int timedout)
{
  size_t i, pos = 0;
  for (i = 0; i < n; i++) {
    const char *line = o + pos, *nl, *t1, *t2, *t3;
    char res[8], host[300], text[RESULT_TEXT_MAX + 100];
    size_t l;
    nl = pos < len ? memchr(line, '\n', len - pos) : NULL;
    if (!nl) break;
    l = (size_t)(nl - line);
    pos += l + 1;
    if (memchr(line, 0, l)) break;
    t1 = memchr(line, '\t', l);
    if (!t1) break;
    t2 = memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1));
    if (!t2) break;
    t3 = memchr(t2 + 1, '\t', (size_t)(nl - t2 - 1));
    if (!t3 || memchr(t3 + 1, '\t', (size_t)(nl - t3 - 1))) break;
    if ((size_t)(t1 - line) >= sizeof res || (size_t)(t3 - t2 - 1) >= sizeof host ||
        (size_t)(nl - t3 - 1) >= sizeof text) break;
    memcpy(res, line, (size_t)(t1 - line)); res[t1 - line] = 0;
    if (strcmp(res, "ok") && strcmp(res, "temp") && strcmp(res, "perm")) break;
    if ((size_t)(t2 - t1 - 1) != strlen(rcpt[i]) || memcmp(t1 + 1, rcpt[i], (size_t)(t2 - t1 - 1))) break;
    memcpy(host, t2 + 1, (size_t)(t3 - t2 - 1)); host[t3 - t2 - 1] = 0;
    memcpy(text, t3 + 1, (size_t)(nl - t3 - 1)); text[nl - t3 - 1] = 0;
    if (!host[0]) snprintf(host, sizeof host, "-");
    if (!text[0]) snprintf(text, sizeof text, "%s", res[0] == 'o' ? "2.0.0 delivered" :
                                                  res[0] == 't' ? "4.0.0 temporary failure" : "5.0.0 permanent failure");
    if (!spawn_line(out, res, rcpt[i], host, text)) return 0;
  }
  for (; i < n; i++)
    if (!spawn_line(out, "temp", rcpt[i], "-",
                    timedout ? "4.4.2 remote delivery timed out" : "4.3.0 yubin-remote crashed"))
      return 0;
  return 1;
}
