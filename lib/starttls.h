/* starttls.h: the daemon's side of STARTTLS through yubin-tlsd.
 * yubin-tlsd -s sets TLSCTL (the control descriptor) in the daemon's
 * environment; the protocol is in net/README.md.  After a successful
 * starttls_begin() the daemon reads and writes plaintext on fds 0 and 1 as
 * before, now protected by TLS, and TLS_PROTOCOL, TLS_CIPHER and TLS_SNI are
 * in its environment. */
#ifndef YUBIN_STARTTLS_H
#define YUBIN_STARTTLS_H
#include "linebuf.h"

/* 1 if this session may offer STARTTLS (runs under yubin-tlsd -s). */
int starttls_available(void);
#define STARTTLS_REPLY_MAX 512

/* Call instead of sending the "ready to start TLS" reply: yubin-tlsd sends
 * reply (len octets, CRLF included) itself once it has stopped reading
 * plaintext, so the client's first TLS record cannot be taken for plaintext.
 * Flush every earlier reply first.  Discards every plaintext byte the client
 * sent after the command (buffered in lb or still in transit), then waits
 * for the handshake.  Returns 1 when TLS is up, 0 when the handshake failed
 * (the connection is then gone: exit quietly). */
int starttls_begin(linebuf *lb, const char *reply, size_t len);

#endif
