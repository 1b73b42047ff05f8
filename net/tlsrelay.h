/* tlsrelay.h: the byte pump of yubin-tlsd.  Network side: a socket carrying
 * TLS records (or plaintext before STARTTLS); application side: the protocol
 * daemon's socket carrying plaintext; control side: the STARTTLS channel
 * (see net/README.md for its protocol). */
#ifndef YUBIN_TLSRELAY_H
#define YUBIN_TLSRELAY_H
#include <bearssl.h>
#include <stddef.h>

typedef struct tlsrelay {
  int net_in, net_out;   /* network fds (usually 0 and 1) */
  int app;               /* socketpair end to the daemon */
  int ctl;               /* socketpair end of the control channel, -1 if none */
  br_ssl_server_context *cc;
  unsigned char *iobuf;
  size_t iolen;
  int handshake_timeout_ms;
  int idle_timeout_ms;
  unsigned long long plain_to_app; /* plaintext bytes written to the daemon before TLS */
} tlsrelay;

/* Plaintext phase (STARTTLS mode): relays both ways until the daemon asks for
 * TLS on the control channel (returns 1) or either side closes (returns 0). */
int tlsrelay_plain(tlsrelay *r);
/* Runs the handshake and then relays until both sides are done.  After the
 * handshake sends the connection parameters on the control channel.
 * Returns 1 on a clean end, 0 on failure (with a reason in *why). */
int tlsrelay_tls(tlsrelay *r, const char **why);
/* Name of a cipher suite number, e.g. "ECDHE-ECDSA-CHACHA20-POLY1305". */
const char *tlsrelay_suite_name(unsigned suite);

#endif
