/* sasl.h: decoding SASL exchanges for SMTP AUTH (RFC 4954): PLAIN (RFC 4616),
 * LOGIN, CRAM-MD5 (RFC 2195).  Pure functions over buffers; base64 through
 * libsodium.  The decoded secrets live in a sasl_creds the caller wipes with
 * sasl_wipe(). */
#ifndef YUBIN_SMTPD_SASL_H
#define YUBIN_SMTPD_SASL_H
#include <stddef.h>

#define SASL_USER_MAX 255
#define SASL_PASS_MAX 1024
#define SASL_LINE_MAX 12288   /* a base64 line of a SASL response */

typedef struct sasl_creds {
  char user[SASL_USER_MAX + 1];
  char pass[SASL_PASS_MAX + 1];   /* the password, or for CRAM-MD5 the hex digest */
  size_t pass_len;
} sasl_creds;

/* Decodes base64 (standard alphabet, padding required, no whitespace) of n
 * bytes into out (size outmax); returns the length or -1. "=" alone is the
 * empty string (RFC 4954). */
long sasl_b64_decode(const char *s, size_t n, unsigned char *out, size_t outmax);
/* Encodes n bytes as base64 into out (NUL-terminated); returns length or -1. */
long sasl_b64_encode(const unsigned char *in, size_t n, char *out, size_t outmax);

/* PLAIN: base64 of [authzid] NUL authcid NUL passwd.  An authzid, when given,
 * must equal the authcid (no proxy logins).  Returns 1 or 0. */
int sasl_plain(const char *b64, size_t n, sasl_creds *c);
/* LOGIN: one base64 line, the user name or the password. */
int sasl_login_user(const char *b64, size_t n, sasl_creds *c);
int sasl_login_pass(const char *b64, size_t n, sasl_creds *c);
/* CRAM-MD5: the client's base64 line decodes to "user SP 32-hex-digits". */
int sasl_cram(const char *b64, size_t n, sasl_creds *c);
/* A fresh challenge "<RANDOM.TIME@me>" into out. */
void sasl_cram_challenge(const char *me, char *out, size_t n);

void sasl_wipe(sasl_creds *c);

#endif
