/* Flag changes by other sessions (flagwatch.h). */
#include "flagwatch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "imapd.h"

typedef struct seen {
  uint32_t uid;
  uint32_t hash;   /* of the flag letters in the name (after ":2,") and the flag bits */
} seen;

static seen *before;
static size_t nbefore, capbefore;
static int valid;

/* FNV-1a of what a client sees as the message's flags. */
static uint32_t flag_hash(const mbox_msg *x)
{
  const char *p = x->name ? strstr(x->name, ":2,") : 0;
  uint32_t h = 2166136261u ^ (x->flags & ~MF_RECENT);
  h *= 16777619u;
  if (p)
    for (p += 3; *p; p++) {
      h ^= (unsigned char)*p;
      h *= 16777619u;
    }
  return h;
}

int flagwatch_begin(const mbox *mb)
{
  size_t i;
  valid = 0;
  if (mb->n > capbefore) {
    size_t bytes;
    seen *g;
    if (!size_mul(mb->n, sizeof *g, &bytes) || !(g = realloc(before, bytes))) return 0;
    before = g;
    capbefore = mb->n;
  }
  for (i = 0; i < mb->n; i++) {
    before[i].uid = mb->m[i].uid;
    before[i].hash = flag_hash(&mb->m[i]);
  }
  nbefore = mb->n;
  valid = 1;
  return 1;
}

void flagwatch_end(const mbox *mb)
{
  size_t i, j = 0;
  if (!valid) return;
  valid = 0;
  /* both lists are in UID order */
  for (i = 0; i < mb->n && j < nbefore; i++) {
    while (j < nbefore && before[j].uid < mb->m[i].uid) j++;
    if (j == nbefore || before[j].uid != mb->m[i].uid) continue;
    if (before[j].hash != flag_hash(&mb->m[i])) {
      out_printf("* %zu FETCH (UID %u FLAGS ", i + 1, (unsigned)mb->m[i].uid);
      out_flags(mb, i);
      out_puts(")\r\n");
    }
  }
}
