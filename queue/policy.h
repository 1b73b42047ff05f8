/* policy.h: which envelope senders a local caller of sendmail may use.
 * The sender policy for local callers is a later issue; this is where it
 * goes, so yubin-inject asks here and nowhere else. */
#ifndef YUBIN_QUEUE_POLICY_H
#define YUBIN_QUEUE_POLICY_H
#include <sys/types.h>

/* 1 if the Unix user (uid, name) may send with envelope sender (""
 * for the null sender), 0 if not (sendmail then exits 77). */
int policy_sender_allowed(uid_t uid, const char *user, const char *sender);

#endif
