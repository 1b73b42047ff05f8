/* libFuzzer target: FOLDER/yubin-imap.modseq as read from disk.  A file
 * that parses formats back to the same bytes; one that does not leaves an
 * empty table; merging any view into either keeps HIGHESTMODSEQ from going
 * down, what a client may be told at or below it, and the VANISHED set well
 * formed. */
#include <stdint.h>
#include <string.h>

#include "modseq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  modseq ms = MODSEQ_ZERO;
  sa out = SA_ZERO;
  ms_view v[4] = { { 1, 0 }, { 3, 1 }, { 9, 0 }, { 12, 2 } };
  imap_range all = { 1, 0xffffffffU };
  uint64_t before;
  if (modseq_parse(&ms, (const char *)data, size)) {
    if (!modseq_format(&ms, &out) || out.len != size || memcmp(out.s, data, size)) __builtin_trap();
    before = ms.highest;
    if (modseq_merge(&ms, v, 4, ms.uidvalidity, 13, 0) >= 0 &&
        (ms.highest < before || ms.reportable > ms.highest))
      __builtin_trap();
  } else {
    if (ms.uidvalidity || ms.n || ms.ng) __builtin_trap();
    before = ms.lower_bound;
    if (modseq_merge(&ms, v, 4, 7, 13, 0) == 1 && ms.highest <= before) __builtin_trap();
  }
  if (modseq_vanished(&ms, 0, &all, 1, 20, &out) && out.len && (out.s[0] == ',' || out.s[out.len - 1] == ','))
    __builtin_trap();
  sa_free(&out);
  modseq_free(&ms);
  return 0;
}
