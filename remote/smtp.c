#include "smtp.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "log.h"
#include "wire.h"

void result_set(delivery *d, size_t i, int kind, const char *host, const char *text)
{
  rcpt_result *r = &d->res[i];
  size_t k;
  r->kind = kind;
  snprintf(r->host, sizeof r->host, "%s", host);
  r->text.len = 0;
  for (k = 0; text[k] && k < REPLY_TEXT_MAX; k++) {
    unsigned char c = (unsigned char)text[k];
    if (c < 0x20 || c > 0x7e) c = '?';
    if (!sa_catc(&r->text, (char)c)) break;
  }
  sa_0(&r->text);
}

/* A reply from a server is worth more than a failed connection to the next
 * one: it is what the final temporary result reports. */
static void note_err(delivery *d, const char *host, const char *text)
{
  if (strcmp(host, "-") == 0 && d->last_err.len && d->last_host[0] && strcmp(d->last_host, "-") != 0) return;
  snprintf(d->last_host, sizeof d->last_host, "%s", host);
  d->last_err.len = 0;
  sa_cats(&d->last_err, text);
  sa_0(&d->last_err);
}

static int kind_of(int code)
{
  if (code >= 200 && code < 300) return RES_OK;
  if (code >= 500) return RES_PERM;
  return RES_TEMP;
}

/* Every pending recipient gets the same result. */
static void fail_pending(delivery *d, int kind, const char *host, const char *text)
{
  size_t i;
  for (i = 0; i < d->nrcpt; i++) if (d->res[i].kind == RES_PENDING) result_set(d, i, kind, host, text);
}

static int cmd(conn *c, sa *buf, const char *a, const char *b)
{
  buf->len = 0;
  if (!sa_cats(buf, a) || (b && !sa_cats(buf, b)) || !sa_cats(buf, "\r\n")) return 0;
  return conn_write(c, buf->s, buf->len);
}

static int b64(const char *in, size_t n, char *out, size_t outlen)
{
  if (sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL) > outlen) return 0;
  sodium_bin2base64(out, outlen, (const unsigned char *)in, n, sodium_base64_VARIANT_ORIGINAL);
  return 1;
}

/* AUTH PLAIN or LOGIN.  Returns 1 authenticated, 0 failed (r holds the reply
 * or errno is set with r->code 0). */
static int do_auth(delivery *d, conn *c, const ehlo_ext *e, reply *r, sa *buf)
{
  char enc[4 * (RELAY_USER_MAX + RELAY_PASS_MAX + 2) / 3 + 8];
  size_t ul = strlen(d->auth_user), pl = strlen(d->auth_pass);
  int ok;
  if (e->auth_plain) {
    char plain[RELAY_USER_MAX + RELAY_PASS_MAX + 2];
    plain[0] = 0;
    memcpy(plain + 1, d->auth_user, ul);
    plain[1 + ul] = 0;
    memcpy(plain + 2 + ul, d->auth_pass, pl);
    ok = b64(plain, ul + pl + 2, enc, sizeof enc);
    sodium_memzero(plain, sizeof plain);
    if (!ok) return 0;
    ok = cmd(c, buf, "AUTH PLAIN ", enc);
    sodium_memzero(enc, sizeof enc);
    sodium_memzero(buf->s, buf->len);
    if (!ok || !conn_reply(c, r, d->timeout_cmd_ms)) { r->code = 0; return 0; }
    return r->code == 235;
  }
  if (!cmd(c, buf, "AUTH LOGIN", 0) || !conn_reply(c, r, d->timeout_cmd_ms)) { r->code = 0; return 0; }
  if (r->code != 334) return 0;
  if (!b64(d->auth_user, ul, enc, sizeof enc)) return 0;
  if (!cmd(c, buf, enc, 0) || !conn_reply(c, r, d->timeout_cmd_ms)) { r->code = 0; return 0; }
  if (r->code != 334) return 0;
  if (!b64(d->auth_pass, pl, enc, sizeof enc)) return 0;
  ok = cmd(c, buf, enc, 0);
  sodium_memzero(enc, sizeof enc);
  sodium_memzero(buf->s, buf->len);
  if (!ok || !conn_reply(c, r, d->timeout_cmd_ms)) { r->code = 0; return 0; }
  return r->code == 235;
}

/* One transaction for the recipients idx[0..n).  Returns 1, or 0 when the
 * connection failed (results set for this batch). */
static int transaction(delivery *d, conn *c, const ehlo_ext *e, const char *host,
                       const size_t *idx, size_t n, reply *r, sa *buf)
{
  char num[32];
  size_t i, accepted = 0;
  int mail_code, data_code;
  int acc[SMTP_RCPTS_PER_TXN];
  char lost[160];

  buf->len = 0;
  if (!sa_cats(buf, "MAIL FROM:<") || !sa_cats(buf, d->sender) || !sa_cats(buf, ">")) goto io;
  if (e->size) { snprintf(num, sizeof num, " SIZE=%zu", d->msgsize); if (!sa_cats(buf, num)) goto io; }
  if (d->eightbit && e->eightbit && !sa_cats(buf, " BODY=8BITMIME")) goto io;
  if (d->need_utf8 && !sa_cats(buf, " SMTPUTF8")) goto io;
  if (!sa_cats(buf, "\r\n")) goto io;
  for (i = 0; i < n; i++) {
    if (!e->pipelining) break;
    if (!sa_cats(buf, "RCPT TO:<") || !sa_cats(buf, d->rcpts[idx[i]]) || !sa_cats(buf, ">\r\n")) goto io;
  }
  if (e->pipelining && !sa_cats(buf, "DATA\r\n")) goto io;
  if (!conn_write(c, buf->s, buf->len)) goto io;
  if (!conn_reply(c, r, d->timeout_cmd_ms)) goto io;
  mail_code = r->code;
  if (mail_code != 250 && mail_code / 100 == 2) mail_code = 250;
  if (kind_of(mail_code) != RES_OK)
    for (i = 0; i < n; i++) result_set(d, idx[i], kind_of(mail_code), host, r->text.s);
  for (i = 0; i < n; i++) {
    acc[i] = 0;
    if (!e->pipelining) {
      if (kind_of(mail_code) != RES_OK) break;
      buf->len = 0;
      if (!sa_cats(buf, "RCPT TO:<") || !sa_cats(buf, d->rcpts[idx[i]]) || !sa_cats(buf, ">\r\n")) goto io;
      if (!conn_write(c, buf->s, buf->len)) goto io;
    }
    if (!conn_reply(c, r, d->timeout_cmd_ms)) goto io;
    if (kind_of(mail_code) != RES_OK) continue;
    if (kind_of(r->code) == RES_OK) { acc[i] = 1; accepted++; }
    else result_set(d, idx[i], kind_of(r->code), host, r->text.s);
  }
  if (!e->pipelining) {
    if (kind_of(mail_code) != RES_OK || accepted == 0) {
      if (!cmd(c, buf, "RSET", 0) || !conn_reply(c, r, d->timeout_cmd_ms)) goto io;
      return 1;
    }
    if (!cmd(c, buf, "DATA", 0)) goto io;
  }
  if (!conn_reply(c, r, d->timeout_cmd_ms)) goto io;
  data_code = r->code;
  if (data_code != 354) {
    for (i = 0; i < n; i++) if (acc[i]) result_set(d, idx[i], kind_of(data_code) == RES_OK ? RES_TEMP : kind_of(data_code), host, r->text.s);
    if (!cmd(c, buf, "RSET", 0) || !conn_reply(c, r, d->timeout_cmd_ms)) goto io;
    return 1;
  }
  if (accepted == 0) {
    /* A server that said 354 with no valid recipient gets an empty message,
     * which it must not deliver. */
    if (!conn_write(c, ".\r\n", 3) || !conn_reply(c, r, d->timeout_dataend_ms)) goto io;
    return 1;
  }
  if (!conn_write(c, d->data->s, d->data->len)) goto io;
  if (!conn_reply(c, r, d->timeout_dataend_ms)) goto io;
  for (i = 0; i < n; i++) if (acc[i]) result_set(d, idx[i], kind_of(r->code), host, r->text.s);
  return 1;
io:
  snprintf(lost, sizeof lost, "4.4.2 connection to %s lost: %s", host, strerror(errno));
  for (i = 0; i < n; i++)
    if (d->res[idx[i]].kind == RES_PENDING)
      result_set(d, idx[i], RES_TEMP, host, lost);
  /* Accepted but not yet confirmed recipients are pending too: the DATA
   * reply never came, so the message may or may not have been taken. */
  return 0;
}

int smtp_session(delivery *d, const char *host, const struct sockaddr *addr, socklen_t len, int notls)
{
  conn c;
  reply r = REPLY_ZERO;
  sa buf = SA_ZERO;
  ehlo_ext e;
  tlsclient *tls = 0;
  char text[512];
  const char *why;
  int outcome = SESS_NEXT, started_txn = 0;
  size_t idx[SMTP_RCPTS_PER_TXN], n, i;

  if (!conn_open(&c, addr, len, d->timeout_connect_ms)) {
    snprintf(text, sizeof text, "4.4.1 connection to %s failed: %s", host, strerror(errno));
    note_err(d, "-", text);
    return SESS_NEXT;
  }
  c.timeout_ms = d->timeout_cmd_ms;
  if (!conn_reply(&c, &r, d->timeout_cmd_ms)) goto io;
  if (r.code / 100 != 2) {
    note_err(d, host, r.text.s);
    cmd(&c, &buf, "QUIT", 0);
    goto out;
  }
  if (!cmd(&c, &buf, "EHLO ", d->helo) || !conn_reply(&c, &r, d->timeout_cmd_ms)) goto io;
  if (r.code / 100 != 2) {
    if (!cmd(&c, &buf, "HELO ", d->helo) || !conn_reply(&c, &r, d->timeout_cmd_ms)) goto io;
    if (r.code / 100 != 2) { note_err(d, host, r.text.s); cmd(&c, &buf, "QUIT", 0); goto out; }
    memset(&e, 0, sizeof e);
  } else {
    ehlo_parse(&r, &e);
  }
  if (e.starttls && !notls && d->tls_policy != TLS_NONE) {
    if (!cmd(&c, &buf, "STARTTLS", 0) || !conn_reply(&c, &r, d->timeout_cmd_ms)) goto io;
    if (r.code == 220 && conn_pending(&c)) {
      /* Bytes after the 220 would be read as if they came over TLS
       * (the STARTTLS command injection of CVE-2011-0411's kind). */
      snprintf(text, sizeof text, "4.7.5 %s sent data after its STARTTLS reply", host);
      note_err(d, host, text);
      log_info("%s tls host=%s result=failed reason=\"data after the STARTTLS reply\"", d->qid, host);
      outcome = d->tls_policy == TLS_MAY ? SESS_PLAIN : SESS_NEXT;
      goto out;
    }
    if (r.code == 220) {
      tls = sodium_malloc(sizeof *tls);
      if (!tls) { note_err(d, host, "4.3.0 out of memory"); goto out; }
      if (!tlsclient_start(tls, c.fd, host[0] == '[' ? NULL : host, d->tls_policy == TLS_VERIFY, d->timeout_cmd_ms, &why)) {
        snprintf(text, sizeof text, "4.7.5 TLS with %s failed: %s", host, why);
        note_err(d, host, text);
        log_info("%s tls host=%s result=failed reason=\"%s\"", d->qid, host, why);
        outcome = d->tls_policy == TLS_MAY ? SESS_PLAIN : SESS_NEXT;
        goto out;
      }
      c.tls = tls;
      log_info("%s tls host=%s version=%s verify=%s", d->qid, host, tlsclient_version(tls),
               d->tls_policy == TLS_VERIFY ? "yes" : "no");
      if (!cmd(&c, &buf, "EHLO ", d->helo) || !conn_reply(&c, &r, d->timeout_cmd_ms)) goto io;
      if (r.code / 100 != 2) { note_err(d, host, r.text.s); goto quit; }
      ehlo_parse(&r, &e);
    } else if (d->tls_policy == TLS_VERIFY) {
      snprintf(text, sizeof text, "4.7.5 %s refused STARTTLS: %s", host, r.text.s);
      note_err(d, host, text);
      goto quit;
    }
  }
  if (d->tls_policy == TLS_VERIFY && !c.tls) {
    snprintf(text, sizeof text, "4.7.5 %s does not offer STARTTLS, which control/tlsdestinations requires", host);
    note_err(d, host, text);
    goto quit;
  }
  if (d->auth_user) {
    if (!c.tls && !d->auth_allowplain) {
      snprintf(text, sizeof text, "4.7.0 not sending credentials to %s without TLS", host);
      note_err(d, host, text);
      goto quit;
    }
    if (!e.auth_plain && !e.auth_login) {
      snprintf(text, sizeof text, "4.7.0 %s offers neither AUTH PLAIN nor AUTH LOGIN", host);
      note_err(d, host, text);
      goto quit;
    }
    if (!do_auth(d, &c, &e, &r, &buf)) {
      if (r.code == 0) goto io;
      /* A refused login is a configuration problem: keep the mail queued. */
      snprintf(text, sizeof text, "%s (authentication as %s failed)", r.text.s, d->auth_user);
      log_info("%s auth host=%s user=%s result=%d", d->qid, host, d->auth_user, r.code);
      fail_pending(d, RES_TEMP, host, text);
      outcome = SESS_DONE;
      goto quit;
    }
    log_info("%s auth host=%s user=%s result=ok", d->qid, host, d->auth_user);
  }
  if (d->need_utf8 && !e.smtputf8) {
    snprintf(text, sizeof text, "5.6.7 the message needs SMTPUTF8, which %s does not support", host);
    fail_pending(d, RES_PERM, host, text);
    outcome = SESS_DONE;
    goto quit;
  }
  if (e.size_max && d->msgsize > e.size_max) {
    snprintf(text, sizeof text, "5.3.4 message size %zu exceeds the limit of %llu bytes of %s",
             d->msgsize, e.size_max, host);
    fail_pending(d, RES_PERM, host, text);
    outcome = SESS_DONE;
    goto quit;
  }
  outcome = SESS_DONE;
  for (;;) {
    for (n = 0, i = 0; i < d->nrcpt && n < SMTP_RCPTS_PER_TXN; i++)
      if (d->res[i].kind == RES_PENDING) idx[n++] = i;
    if (n == 0) break;
    started_txn = 1;
    if (!transaction(d, &c, &e, host, idx, n, &r, &buf)) goto out;
  }
quit:
  if (cmd(&c, &buf, "QUIT", 0)) conn_reply(&c, &r, d->timeout_cmd_ms);
  goto out;
io:
  snprintf(text, sizeof text, "4.4.2 connection to %s failed: %s", host,
           errno == EPROTO ? "bad reply" : strerror(errno));
  note_err(d, host, text);
  outcome = started_txn ? SESS_DONE : SESS_NEXT;
out:
  conn_close(&c);
  if (tls) sodium_free(tls);
  reply_free(&r);
  if (buf.s) sodium_memzero(buf.s, buf.a);
  sa_free(&buf);
  return outcome;
}
