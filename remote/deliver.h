/* deliver.h: one delivery attempt: the hosts to try (route or MX), their
 * addresses, and an SMTP session with each until every recipient has a
 * result. */
#ifndef YUBIN_REMOTE_DELIVER_H
#define YUBIN_REMOTE_DELIVER_H
#include <stddef.h>
#include "route.h"
#include "smtp.h"

typedef struct settings {
  unsigned port;                         /* control/smtpport, default 25 */
  const char *tls_lines; size_t tls_count;     /* control/tlsdestinations */
  const char *auth_lines; size_t auth_count;   /* control/relayauth */
  const char *ca_path;                         /* CA bundle for "verify" */
} settings;

/* Fills d->res for every recipient.  rt is the route (NULL: MX). */
void deliver(delivery *d, const char *domain, const route *rt, const settings *s);

#endif
