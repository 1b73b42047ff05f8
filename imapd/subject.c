/* Base subject extraction, RFC 5256 section 2.1, step by step. */
#include <string.h>

#include "rfc2047.h"
#include "subject.h"
#include "utf8fold.h"

static int wsp(char c) { return c == ' ' || c == '\t'; }

/* subj-blob = "[" *BLOBCHAR "]" *WSP at s[b]: its end, or 0. */
static size_t blob(const char *s, size_t b, size_t e)
{
  size_t i = b;
  if (i >= e || s[i] != '[') return 0;
  for (i++; i < e && s[i] != '[' && s[i] != ']'; i++) {}
  if (i >= e || s[i] != ']') return 0;
  for (i++; i < e && wsp(s[i]); i++) {}
  return i;
}

/* subj-leader = (*subj-blob subj-refwd) / WSP at s[b]: its end, or 0;
 * *marker set when it was a subj-refwd. */
static size_t leader(const char *s, size_t b, size_t e, int *marker)
{
  size_t i = b, k;
  *marker = 0;
  if (i < e && wsp(s[i])) return i + 1;
  while ((k = blob(s, i, e))) i = k;
  /* subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" (folded: lower case) */
  if (i + 2 <= e && s[i] == 'r' && s[i + 1] == 'e') i += 2;
  else if (i + 2 <= e && s[i] == 'f' && s[i + 1] == 'w') {
    i += 2;
    if (i < e && s[i] == 'd') i++;
  } else return 0;
  while (i < e && wsp(s[i])) i++;
  if ((k = blob(s, i, e))) i = k;
  if (i >= e || s[i] != ':') return 0;
  *marker = 1;
  return i + 1;
}

int subject_base(const char *s, size_t n, sa *out, int *reply)
{
  sa dec = SA_ZERO, fold = SA_ZERO;
  size_t b, e, i, k;
  int changed, marker;
  *reply = 0;
  out->len = 0;
  if (!rfc2047_decode(s, n, &dec) || !sa_ready(&fold, dec.len + 1) ||
      !utf8_fold(dec.s ? dec.s : "", dec.len, &fold)) {
    sa_free(&dec);
    sa_free(&fold);
    return 0;
  }
  sa_free(&dec);
  /* (1) white space and folding to single spaces */
  for (i = 0, k = 0; i < fold.len; i++) {
    char c = fold.s[i];
    if (c == '\t' || c == '\r' || c == '\n') c = ' ';
    if (c == ' ' && k && fold.s[k - 1] == ' ') continue;
    fold.s[k++] = c;
  }
  fold.len = k;
  b = 0;
  e = fold.len;
  for (;;) {
    /* (2) subj-trailer = "(fwd)" / WSP, from the end */
    for (;;) {
      if (e > b && wsp(fold.s[e - 1])) e--;
      else if (e - b >= 5 && memcmp(fold.s + e - 5, "(fwd)", 5) == 0) { e -= 5; *reply = 1; }
      else break;
    }
    /* (3) to (5) */
    do {
      changed = 0;
      while ((k = leader(fold.s, b, e, &marker))) {
        b = k;
        changed = 1;
        if (marker) *reply = 1;
      }
      if ((k = blob(fold.s, b, e))) {
        size_t j;
        for (j = k; j < e && wsp(fold.s[j]); j++) {}
        if (j < e) { b = k; changed = 1; }
      }
    } while (changed);
    /* (6) subj-fwd = "[fwd:" subj-base "]" */
    if (e - b >= 6 && memcmp(fold.s + b, "[fwd:", 5) == 0 && fold.s[e - 1] == ']') {
      b += 5;
      e--;
      *reply = 1;
      continue;
    }
    break;
  }
  k = sa_copyb(out, fold.s ? fold.s + b : "", e - b) && sa_0(out);
  sa_free(&fold);
  return (int)k;
}
