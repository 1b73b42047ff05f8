/* smtp.h: one SMTP client session to one address of one host, delivering
 * the recipients of a delivery that have no result yet. */
#ifndef YUBIN_REMOTE_SMTP_H
#define YUBIN_REMOTE_SMTP_H
#include <stddef.h>
#include <sys/socket.h>
#include "route.h"
#include "sa.h"

#define RES_PENDING 0
#define RES_OK 1
#define RES_TEMP 2
#define RES_PERM 3

#define SMTP_RCPTS_PER_TXN 100
#define HOST_NAME_MAX_ (ROUTE_HOST_MAX + 2)   /* room for "[ip]" */

typedef struct rcpt_result {
  int kind;
  char host[HOST_NAME_MAX_ + 1];   /* "-" when no server answered */
  sa text;
} rcpt_result;

typedef struct delivery {
  const char *qid, *sender;
  char *const *rcpts;
  size_t nrcpt;
  rcpt_result *res;
  const sa *data;                 /* the message in DATA form */
  size_t msgsize;                 /* bytes on the wire, for SIZE= */
  int eightbit, need_utf8;
  const char *helo;
  int timeout_connect_ms, timeout_cmd_ms, timeout_dataend_ms;
  int tls_policy;                 /* TLS_NONE, TLS_MAY, TLS_VERIFY */
  const char *auth_user, *auth_pass;   /* NULL: no AUTH */
  int auth_allowplain;
  /* Why the last host could not be used, for the final temporary result. */
  char last_host[HOST_NAME_MAX_ + 1];
  sa last_err;
} delivery;

#define SESS_DONE 0    /* every recipient still pending got its result here */
#define SESS_NEXT 1    /* this host could not be used: try the next one */
#define SESS_PLAIN 2   /* TLS failed in "may" mode: retry this address in plain text */

int smtp_session(delivery *d, const char *host, const struct sockaddr *addr, socklen_t len, int notls);
/* Sets the result of recipient i (text copied, made safe for the report). */
void result_set(delivery *d, size_t i, int kind, const char *host, const char *text);

#endif
