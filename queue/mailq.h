/* mailq.h: listing the queue (sendmail -bp, mailq). */
#ifndef YUBIN_QUEUE_MAILQ_H
#define YUBIN_QUEUE_MAILQ_H
#include <stdio.h>

/* Lists the queue of the instance at root on out.  Returns 1, or 0 with
 * errno (EACCES when the caller may not read the queue). */
int mailq_list(const char *root, FILE *out);

#endif
