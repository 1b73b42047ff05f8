#include "tlsrelay.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "starttls.h"

const char *tlsrelay_suite_name(unsigned suite)
{
  switch (suite) {
  case BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: return "ECDHE-ECDSA-CHACHA20-POLY1305";
  case BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: return "ECDHE-RSA-CHACHA20-POLY1305";
  case BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: return "ECDHE-ECDSA-AES128-GCM-SHA256";
  case BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: return "ECDHE-RSA-AES128-GCM-SHA256";
  case BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: return "ECDHE-ECDSA-AES256-GCM-SHA384";
  case BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: return "ECDHE-RSA-AES256-GCM-SHA384";
  case BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: return "ECDHE-ECDSA-AES128-SHA256";
  case BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: return "ECDHE-RSA-AES128-SHA256";
  case BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: return "ECDHE-ECDSA-AES256-SHA384";
  case BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: return "ECDHE-RSA-AES256-SHA384";
  case BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: return "ECDHE-ECDSA-AES128-SHA";
  case BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: return "ECDHE-RSA-AES128-SHA";
  case BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: return "ECDHE-ECDSA-AES256-SHA";
  case BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: return "ECDHE-RSA-AES256-SHA";
  default: return "unknown";
  }
}

static ssize_t rd(int fd, void *b, size_t n)
{
  for (;;) {
    ssize_t r = read(fd, b, n);
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

/* Reads exactly n bytes from fd (blocking). */
static int rd_exact(int fd, char *b, size_t n)
{
  while (n) {
    ssize_t r = rd(fd, b, n);
    if (r <= 0) return 0;
    b += r;
    n -= (size_t)r;
  }
  return 1;
}

/* The daemon asked for TLS: "S<len>\n" then its reply to the client.  From
 * here on nothing more is read from the network in plaintext, so the
 * client's first TLS record waits in the socket for the handshake; what the
 * daemon already wrote goes out first, then its reply. */
static int begin_tls(tlsrelay *r, char *buf, size_t bufsize)
{
  char num[8], ack[40], reply[STARTTLS_REPLY_MAX];
  size_t i = 0, len;
  int l;
  for (;;) {
    if (i == sizeof num || !rd_exact(r->ctl, num + i, 1)) return 0;
    if (num[i] == '\n') break;
    if (num[i] < '0' || num[i] > '9') return 0;
    i++;
  }
  num[i] = 0;
  if (i == 0) return 0;
  len = (size_t)atoi(num);
  if (len > sizeof reply || !rd_exact(r->ctl, reply, len)) return 0;
  for (;;) {
    struct pollfd q = { r->app, POLLIN, 0 };
    ssize_t got;
    if (poll(&q, 1, 0) <= 0 || !(q.revents & POLLIN)) break;
    got = rd(r->app, buf, bufsize);
    if (got <= 0) break;
    if (!write_all(r->net_out, buf, (size_t)got)) return 0;
  }
  if (!write_all(r->net_out, reply, len)) return 0;
  /* How many plaintext bytes the daemon was sent, so it can discard what it
   * has not consumed (commands pipelined after STARTTLS). */
  l = snprintf(ack, sizeof ack, "T%llu\n", r->plain_to_app);
  return write_all(r->ctl, ack, (size_t)l);
}

int tlsrelay_plain(tlsrelay *r)
{
  char buf[8192];
  int net_open = 1, app_open = 1;
  while (net_open || app_open) {
    struct pollfd p[3];
    int n = 0, inet = -1, iapp = -1, ictl = -1, pr;
    if (net_open) { inet = n; p[n].fd = r->net_in; p[n].events = POLLIN; n++; }
    if (app_open) { iapp = n; p[n].fd = r->app; p[n].events = POLLIN; n++; }
    if (r->ctl >= 0) { ictl = n; p[n].fd = r->ctl; p[n].events = POLLIN; n++; }
    pr = poll(p, (nfds_t)n, r->idle_timeout_ms);
    if (pr < 0) { if (errno == EINTR) continue; return 0; }
    if (pr == 0) return 0;
    if (iapp >= 0 && (p[iapp].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = rd(r->app, buf, sizeof buf);
      if (got <= 0) { app_open = 0; return 0; }
      if (!write_all(r->net_out, buf, (size_t)got)) return 0;
    }
    if (ictl >= 0 && (p[ictl].revents & (POLLIN | POLLHUP))) {
      char c;
      ssize_t got = rd(r->ctl, &c, 1);
      if (got == 1 && c == 'S') return begin_tls(r, buf, sizeof buf);
      r->ctl = -1; /* the daemon gave up the channel */
    }
    if (inet >= 0 && (p[inet].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = rd(r->net_in, buf, sizeof buf);
      if (got <= 0) { net_open = 0; shutdown(r->app, SHUT_WR); continue; }
      if (!write_all(r->app, buf, (size_t)got)) return 0;
      r->plain_to_app += (unsigned long long)got;
    }
  }
  return 0;
}

static void send_params(tlsrelay *r)
{
  char msg[512];
  const char *sni = br_ssl_engine_get_server_name(&r->cc->eng);
  br_ssl_session_parameters sp;
  unsigned v = br_ssl_engine_get_version(&r->cc->eng);
  int l;
  char safe[256];
  size_t i;
  br_ssl_engine_get_session_parameters(&r->cc->eng, &sp);
  for (i = 0; sni && sni[i] && i + 1 < sizeof safe; i++) {
    char c = sni[i];
    safe[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-') ? c : '_';
  }
  safe[i] = 0;
  l = snprintf(msg, sizeof msg, "KTLS_PROTOCOL=%s%cTLS_CIPHER=%s%cTLS_SNI=%s%c\n",
               v == BR_TLS12 ? "TLSv1.2" : v == BR_TLS11 ? "TLSv1.1" : "TLSv1.0", 0,
               tlsrelay_suite_name(sp.cipher_suite), 0, safe, 0);
  if (r->ctl >= 0 && l > 0) write_all(r->ctl, msg, (size_t)l);
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tlsrelay_tls(tlsrelay *r, const char **why)
{
  br_ssl_engine_context *eng = &r->cc->eng;
  int app_eof = 0, handshaken = 0, net_eof = 0;
  long long deadline = now_ms() + r->handshake_timeout_ms;

  br_ssl_engine_set_buffer(eng, r->iobuf, r->iolen, 1);
  if (!br_ssl_server_reset(r->cc)) { *why = "TLS engine reset failed"; return 0; }

  for (;;) {
    unsigned st = br_ssl_engine_current_state(eng);
    struct pollfd p[3];
    int n = 0, inet = -1, onet = -1, iapp = -1, pr, timeout;

    if (st & BR_SSL_CLOSED) {
      int err = br_ssl_engine_last_error(eng);
      if (err == BR_ERR_OK) return 1;
      if (!handshaken) { static char b[64]; snprintf(b, sizeof b, "handshake failed (BearSSL error %d)", err); *why = b; return 0; }
      if (err == BR_ERR_IO) return 1; /* client dropped the connection */
      { static char b[64]; snprintf(b, sizeof b, "TLS error %d", err); *why = b; }
      return 0;
    }
    /* The daemon is done and our close_notify is out: nothing more to do. */
    if (app_eof && !(st & BR_SSL_SENDREC)) return 1;
    if (!handshaken && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))) {
      handshaken = 1;
      send_params(r);
    }
    /* Decrypted data for the daemon: write it (blocking is fine: the
     * daemon reads its input promptly, and we have nothing else to do). */
    if (st & BR_SSL_RECVAPP) {
      size_t len;
      unsigned char *buf = br_ssl_engine_recvapp_buf(eng, &len);
      if (!write_all(r->app, buf, len)) { br_ssl_engine_close(eng); app_eof = 1; }
      br_ssl_engine_recvapp_ack(eng, len);
      continue;
    }
    if (st & BR_SSL_SENDREC) {
      onet = n; p[n].fd = r->net_out; p[n].events = POLLOUT; n++;
    }
    if ((st & BR_SSL_RECVREC) && !net_eof) {
      inet = n; p[n].fd = r->net_in; p[n].events = POLLIN; n++;
    }
    if ((st & BR_SSL_SENDAPP) && !app_eof) {
      iapp = n; p[n].fd = r->app; p[n].events = POLLIN; n++;
    }
    if (n == 0) return handshaken; /* network gone and nothing left to send */
    timeout = r->idle_timeout_ms;
    if (!handshaken) {
      long long left = deadline - now_ms();
      if (left <= 0) { *why = "handshake timed out"; return 0; }
      timeout = (int)left;
    }
    pr = poll(p, (nfds_t)n, timeout);
    if (pr < 0) { if (errno == EINTR) continue; *why = "poll failed"; return 0; }
    if (pr == 0) { *why = handshaken ? "idle timeout" : "handshake timed out"; return handshaken; }
    if (onet >= 0 && (p[onet].revents & (POLLOUT | POLLERR | POLLHUP))) {
      size_t len;
      unsigned char *buf = br_ssl_engine_sendrec_buf(eng, &len);
      ssize_t w = write(r->net_out, buf, len);
      if (w < 0) {
        if (errno != EINTR && errno != EAGAIN) { *why = "network write failed"; return handshaken; }
      } else {
        br_ssl_engine_sendrec_ack(eng, (size_t)w);
      }
      continue;
    }
    if (inet >= 0 && (p[inet].revents & (POLLIN | POLLERR | POLLHUP))) {
      size_t len;
      unsigned char *buf = br_ssl_engine_recvrec_buf(eng, &len);
      ssize_t got = rd(r->net_in, buf, len);
      if (got <= 0) {
        /* The client went away (with or without close_notify). */
        net_eof = 1;
        shutdown(r->app, SHUT_WR);
        if (!handshaken) { *why = "client closed during handshake"; return 0; }
        return 1;
      } else {
        br_ssl_engine_recvrec_ack(eng, (size_t)got);
      }
      continue;
    }
    if (iapp >= 0 && (p[iapp].revents & (POLLIN | POLLERR | POLLHUP))) {
      size_t len;
      unsigned char *buf = br_ssl_engine_sendapp_buf(eng, &len);
      ssize_t got = rd(r->app, buf, len);
      if (got <= 0) {
        app_eof = 1;
        br_ssl_engine_close(eng);
      } else {
        br_ssl_engine_sendapp_ack(eng, (size_t)got);
        /* Send at once unless more is already waiting (pipelined replies). */
        {
          struct pollfd q = { r->app, POLLIN, 0 };
          if (poll(&q, 1, 0) <= 0) br_ssl_engine_flush(eng, 0);
        }
      }
    }
  }
}
