/* message.h: inside the session, one message: the Received line, the
 * DATA/BDAT input through the state machine into the injector, and the
 * final reply.  Also the few session helpers both halves use. */
#ifndef YUBIN_SMTPD_MESSAGE_H
#define YUBIN_SMTPD_MESSAGE_H
#include "session.h"

/* session.c: every reply goes through session_reply ("CODE X.Y.Z text"). */
void session_reply(session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void session_flush(session *s);
void session_txn_reset(session *s);
/* The client went away or timed out: the session ends, the message is abandoned. */
void session_lost(session *s, const char *why);
const char *session_safe(const char *in, char *buf, size_t n);

/* message.c */
/* Picks the message id, starts the injector, writes the Received line.
 * Returns 1, or 0 (logged) when the injector cannot be started. */
int message_start(session *s);
/* DATA: reads through CRLF.CRLF into the injector, then message_end. */
void message_read_data(session *s);
/* BDAT: reads exactly size octets; into the message when keep, else away.
 * Returns 1, or 0 when the client went away. */
int message_read_chunk(session *s, unsigned long long size, int keep);
/* The message is complete: queue it (250 only after the injector exits 0)
 * or refuse it; replies, logs, resets the transaction. */
void message_end(session *s);
/* The reply for a message the state machine refused, or NULL. */
const char *message_refusal(const data_state *d);
void message_log(session *s, const char *result, unsigned long long size);

#endif
