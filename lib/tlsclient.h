/* tlsclient.h: the client side of TLS with BearSSL (STARTTLS in yubin-remote).
 * The caller owns the context (it holds the I/O buffer, about 34 KiB).
 * Two modes: verify (the chain must lead to a trust anchor from a CA bundle and
 * the certificate must name the server) and opportunistic (any certificate is
 * accepted: encryption without authentication, as RFC 7435 describes). */
#ifndef YUBIN_TLSCLIENT_H
#define YUBIN_TLSCLIENT_H
#include <bearssl.h>
#include <stddef.h>
#include <sys/types.h>

#define TLSCLIENT_CA_FILE_MAX ((size_t)4 << 20)
#define TLSCLIENT_ANCHORS_MAX 1024

/* Wraps the minimal X.509 engine and ignores its verdict (opportunistic mode). */
typedef struct tlsclient_noverify {
  const br_x509_class *vtable;
  const br_x509_class **inner;
} tlsclient_noverify;

typedef struct tlsclient {
  br_ssl_client_context cc;
  br_x509_minimal_context xc;
  tlsclient_noverify nv;
  br_sslio_context io;
  int fd;
  int timeout_ms;
  int timed_out;
  unsigned char buf[BR_SSL_BUFSIZE_BIDI];
} tlsclient;

/* Loads the trust anchors of a PEM bundle (e.g.
 * /etc/ssl/certs/ca-certificates.crt) for verify mode; once per process.
 * Returns the number loaded, or -1 with a reason in *why. */
long tlsclient_load_anchors(const char *path, const char **why);
/* Runs the handshake on the connected socket fd.  server_name is sent as SNI
 * and, in verify mode, must match the certificate.  Returns 1, or 0 with a
 * reason in *why (static text). */
int tlsclient_start(tlsclient *t, int fd, const char *server_name, int verify, int timeout_ms, const char **why);
/* Reads at most n bytes of plaintext: count, 0 at end of the TLS stream, -1 on error. */
ssize_t tlsclient_read(tlsclient *t, void *buf, size_t n);
/* Writes and flushes all n bytes: 1, or 0 on error. */
int tlsclient_write(tlsclient *t, const void *buf, size_t n);
/* Sends close_notify (best effort). */
void tlsclient_close(tlsclient *t);
/* "TLSv1.2" / "TLSv1.3"-style name of the negotiated version. */
const char *tlsclient_version(const tlsclient *t);
/* Text for a BearSSL error code. */
const char *tlsclient_strerror(int err);

#endif
