#include "tlsclient.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sa.h"

static br_x509_trust_anchor *anchors;
static size_t anchors_n;

/* --- trust anchors ---------------------------------------------------- */

static void sa_append(void *ctx, const void *data, size_t len)
{
  sa *x = ctx;
  if (!sa_catb(x, data, len)) x->cap = 1;
}

static void *memdup(const void *p, size_t n)
{
  void *q = malloc(n ? n : 1);
  if (q) memcpy(q, p, n);
  return q;
}

/* One DER certificate to a trust anchor; 1 ok, 0 skipped. */
static int anchor_from_der(const unsigned char *der, size_t len, br_x509_trust_anchor *ta)
{
  br_x509_decoder_context dc;
  sa dn = SA_ZERO;
  br_x509_pkey *pk;

  dn.cap = 65536;
  br_x509_decoder_init(&dc, sa_append, &dn);
  br_x509_decoder_push(&dc, der, len);
  pk = br_x509_decoder_get_pkey(&dc);
  if (!pk || dn.cap == 1) { sa_free(&dn); return 0; }
  memset(ta, 0, sizeof *ta);
  ta->dn.data = memdup(dn.s, dn.len);
  ta->dn.len = dn.len;
  sa_free(&dn);
  if (!ta->dn.data) return 0;
  ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
  ta->pkey.key_type = pk->key_type;
  if (pk->key_type == BR_KEYTYPE_RSA) {
    ta->pkey.key.rsa.n = memdup(pk->key.rsa.n, pk->key.rsa.nlen);
    ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
    ta->pkey.key.rsa.e = memdup(pk->key.rsa.e, pk->key.rsa.elen);
    ta->pkey.key.rsa.elen = pk->key.rsa.elen;
    if (!ta->pkey.key.rsa.n || !ta->pkey.key.rsa.e) return 0;
  } else if (pk->key_type == BR_KEYTYPE_EC) {
    ta->pkey.key.ec.curve = pk->key.ec.curve;
    ta->pkey.key.ec.q = memdup(pk->key.ec.q, pk->key.ec.qlen);
    ta->pkey.key.ec.qlen = pk->key.ec.qlen;
    if (!ta->pkey.key.ec.q) return 0;
  } else {
    return 0;
  }
  return 1;
}

long tlsclient_load_anchors(const char *path, const char **why)
{
  sa file = SA_ZERO, obj = SA_ZERO;
  br_pem_decoder_context pc;
  const unsigned char *p;
  size_t left;
  int fd, is_cert = 0;

  if (anchors) return (long)anchors_n;
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { *why = "unable to open the CA bundle"; return -1; }
  file.cap = TLSCLIENT_CA_FILE_MAX;
  for (;;) {
    ssize_t r;
    if (!sa_ready(&file, file.len + 4096)) { close(fd); sa_free(&file); *why = "CA bundle too large"; return -1; }
    r = read(fd, file.s + file.len, 4096);
    if (r < 0) { if (errno == EINTR) continue; close(fd); sa_free(&file); *why = "unable to read the CA bundle"; return -1; }
    if (r == 0) break;
    file.len += (size_t)r;
  }
  close(fd);
  anchors = calloc(TLSCLIENT_ANCHORS_MAX, sizeof *anchors);
  if (!anchors) { sa_free(&file); *why = "out of memory"; return -1; }
  br_pem_decoder_init(&pc);
  obj.cap = 65536;
  p = (const unsigned char *)file.s;
  left = file.len;
  while (left > 0) {
    size_t used = br_pem_decoder_push(&pc, p, left);
    p += used;
    left -= used;
    switch (br_pem_decoder_event(&pc)) {
      case BR_PEM_BEGIN_OBJ:
        obj.len = 0;
        obj.cap = 65536;
        is_cert = strcmp(br_pem_decoder_name(&pc), "CERTIFICATE") == 0
               || strcmp(br_pem_decoder_name(&pc), "X509 CERTIFICATE") == 0;
        br_pem_decoder_setdest(&pc, sa_append, &obj);
        break;
      case BR_PEM_END_OBJ:
        if (is_cert && obj.cap != 1 && anchors_n < TLSCLIENT_ANCHORS_MAX
            && anchor_from_der((unsigned char *)obj.s, obj.len, &anchors[anchors_n]))
          anchors_n++;
        break;
      case BR_PEM_ERROR:
        sa_free(&file); sa_free(&obj);
        *why = "CA bundle is not valid PEM";
        return -1;
      default:
        break;
    }
  }
  sa_free(&file);
  sa_free(&obj);
  return (long)anchors_n;
}

/* --- the opportunistic X.509 wrapper ---------------------------------- */

static void nv_start_chain(const br_x509_class **ctx, const char *server_name)
{
  tlsclient_noverify *nv = (tlsclient_noverify *)ctx;
  (void)server_name;  /* no name check in opportunistic mode */
  (*nv->inner)->start_chain(nv->inner, NULL);
}
static void nv_start_cert(const br_x509_class **ctx, uint32_t length)
{
  tlsclient_noverify *nv = (tlsclient_noverify *)ctx;
  (*nv->inner)->start_cert(nv->inner, length);
}
static void nv_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
  tlsclient_noverify *nv = (tlsclient_noverify *)ctx;
  (*nv->inner)->append(nv->inner, buf, len);
}
static void nv_end_cert(const br_x509_class **ctx)
{
  tlsclient_noverify *nv = (tlsclient_noverify *)ctx;
  (*nv->inner)->end_cert(nv->inner);
}
static unsigned nv_end_chain(const br_x509_class **ctx)
{
  tlsclient_noverify *nv = (tlsclient_noverify *)ctx;
  unsigned r = (*nv->inner)->end_chain(nv->inner);
  if (r == BR_ERR_X509_NOT_TRUSTED) r = 0;
  return r;
}
static const br_x509_pkey *nv_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
  const tlsclient_noverify *nv = (const tlsclient_noverify *)ctx;
  return (*nv->inner)->get_pkey(nv->inner, usages);
}
static const br_x509_class nv_vtable = {
  sizeof(tlsclient_noverify), nv_start_chain, nv_start_cert, nv_append, nv_end_cert, nv_end_chain, nv_get_pkey
};

/* --- I/O -------------------------------------------------------------- */

static int wait_fd(tlsclient *t, short ev)
{
  struct pollfd p = { t->fd, ev, 0 };
  for (;;) {
    int r = poll(&p, 1, t->timeout_ms > 0 ? t->timeout_ms : -1);
    if (r > 0) return 1;
    if (r == 0) { t->timed_out = 1; errno = ETIMEDOUT; return 0; }
    if (errno != EINTR) return 0;
  }
}

static int low_read(void *ctx, unsigned char *buf, size_t len)
{
  tlsclient *t = ctx;
  for (;;) {
    ssize_t r;
    if (!wait_fd(t, POLLIN)) return -1;
    r = read(t->fd, buf, len);
    if (r > 0) return (int)r;
    if (r == 0) return -1;
    if (errno != EINTR && errno != EAGAIN) return -1;
  }
}

static int low_write(void *ctx, const unsigned char *buf, size_t len)
{
  tlsclient *t = ctx;
  for (;;) {
    ssize_t r;
    if (!wait_fd(t, POLLOUT)) return -1;
    r = write(t->fd, buf, len);
    if (r > 0) return (int)r;
    if (r < 0 && errno != EINTR && errno != EAGAIN) return -1;
  }
}

int tlsclient_start(tlsclient *t, int fd, const char *server_name, int verify, int timeout_ms, const char **why)
{
  t->fd = fd;
  t->timeout_ms = timeout_ms;
  t->timed_out = 0;
  br_ssl_client_init_full(&t->cc, &t->xc, verify ? anchors : NULL, verify ? anchors_n : 0);
  if (!verify) {
    t->nv.vtable = &nv_vtable;
    t->nv.inner = &t->xc.vtable;
    br_ssl_engine_set_x509(&t->cc.eng, &t->nv.vtable);
  }
  br_ssl_engine_set_buffer(&t->cc.eng, t->buf, sizeof t->buf, 1);
  if (!br_ssl_client_reset(&t->cc, server_name, 0)) { *why = "TLS setup failed"; return 0; }
  br_sslio_init(&t->io, &t->cc.eng, low_read, t, low_write, t);
  br_sslio_flush(&t->io);
  for (;;) {
    unsigned st = br_ssl_engine_current_state(&t->cc.eng);
    if (st & BR_SSL_CLOSED) {
      int err = br_ssl_engine_last_error(&t->cc.eng);
      *why = t->timed_out ? "timeout during TLS handshake" : tlsclient_strerror(err);
      return 0;
    }
    if (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)) {
      /* The handshake is done once application data may be sent. */
      if (st & BR_SSL_SENDAPP) return 1;
    }
    /* Drive the engine: br_sslio_flush runs until the handshake completes. */
    if (br_sslio_flush(&t->io) < 0) {
      int err = br_ssl_engine_last_error(&t->cc.eng);
      *why = t->timed_out ? "timeout during TLS handshake" : tlsclient_strerror(err);
      return 0;
    }
    if (br_ssl_engine_current_state(&t->cc.eng) & BR_SSL_SENDAPP) return 1;
  }
}

ssize_t tlsclient_read(tlsclient *t, void *buf, size_t n)
{
  int r = br_sslio_read(&t->io, buf, n);
  if (r < 0) {
    if (br_ssl_engine_last_error(&t->cc.eng) == BR_ERR_OK && !t->timed_out) return 0;
    if (t->timed_out) errno = ETIMEDOUT; else errno = EPROTO;
    return -1;
  }
  return r;
}

int tlsclient_write(tlsclient *t, const void *buf, size_t n)
{
  if (br_sslio_write_all(&t->io, buf, n) < 0 || br_sslio_flush(&t->io) < 0) {
    errno = t->timed_out ? ETIMEDOUT : EPROTO;
    return 0;
  }
  return 1;
}

void tlsclient_close(tlsclient *t)
{
  int saved = t->timeout_ms;
  t->timeout_ms = 2000;
  br_sslio_close(&t->io);
  t->timeout_ms = saved;
}

const char *tlsclient_version(const tlsclient *t)
{
  switch (t->cc.eng.session.version) {
    case BR_TLS10: return "TLSv1.0";
    case BR_TLS11: return "TLSv1.1";
    case BR_TLS12: return "TLSv1.2";
    default: return "TLS";
  }
}

const char *tlsclient_strerror(int err)
{
  switch (err) {
    case BR_ERR_OK: return "connection closed during TLS handshake";
    case BR_ERR_X509_NOT_TRUSTED: return "TLS certificate not trusted";
    case BR_ERR_X509_BAD_SERVER_NAME: return "TLS certificate does not match the host name";
    case BR_ERR_X509_EXPIRED: return "TLS certificate expired or not yet valid";
    case BR_ERR_BAD_VERSION: case BR_ERR_BAD_CIPHER_SUITE: return "no common TLS version or cipher";
    case BR_ERR_IO: return "connection lost during TLS handshake";
    default:
      if (err >= BR_ERR_RECV_FATAL_ALERT) return "TLS alert from server";
      if (err >= 32 && err < 64) return "TLS certificate rejected";
      return "TLS handshake failed";
  }
}
