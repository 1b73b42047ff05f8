/* ipstate.h: small per-client-IP facts shared between daemons, kept as files
 * in ROOT/run/ (owned by yubind, mode 0700; see doc/ipstate.md):
 *   run/pbs/IP       POP-before-SMTP: mtime is the last successful POP3/IMAP
 *                    login from IP
 *   run/authfail/IP  failed logins: mtime is the last failure, the content
 *                    the count of failures in the current window
 * IP is the textual address (':' kept; nothing but [0-9a-fA-F.:] allowed). */
#ifndef YUBIN_IPSTATE_H
#define YUBIN_IPSTATE_H
#include <time.h>

/* POP-before-SMTP: record a login; 1 ok, 0 with errno. */
int pbs_record(const char *ip);
/* 1 if ip logged in within the last `minutes` (0 turns it off), else 0. */
int pbs_allowed(const char *ip, unsigned long minutes);
/* Removes entries older than `minutes`; returns how many, -1 on error. */
int pbs_clean(unsigned long minutes);

/* Failed logins: count one more failure for ip and return the new count
 * within the window (failures older than window seconds are forgotten). */
unsigned long authfail_add(const char *ip, unsigned long window);
/* The current count for ip within the window. */
unsigned long authfail_count(const char *ip, unsigned long window);
/* A successful login clears the count. */
void authfail_clear(const char *ip);
/* The delay in milliseconds to apply after the count-th failure: grows with
 * the count (1 s, 2 s, 4 s, ... capped at 16 s). */
unsigned long authfail_delay_ms(unsigned long count);

/* 1 if s is a plausible textual IP address (safe as a file name). */
int ipstate_ip_ok(const char *s);

#endif
