/* inject.h: queueing a new message (a bounce) through ROOT/bin/yubin-queue,
 * the qmail-queue interface: message on fd 0, envelope on fd 1. */
#ifndef YUBIN_SEND_INJECT_H
#define YUBIN_SEND_INJECT_H
#include <stddef.h>
#include "uniq.h"

/* Runs yubin-queue with msg and the envelope F<sender>\0T<rcpt>\0\0 (sender ""
 * is the null sender).  Its log lines are passed on to our stderr; the first
 * queue id found in them goes to qid ("" if none).  *pid gets yubin-queue's
 * process id (it writes it in the envelope's p line).  Returns yubin-queue's
 * exit code (0 = queued), or -1 if it could not be run. */
int inject(const char *msg, size_t len, const char *sender, const char *rcpt,
           char qid[QUEUE_ID_LEN + 1], long *pid);

#endif
