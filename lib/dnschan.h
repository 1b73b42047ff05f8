/* dnschan.h: a c-ares channel set up the one way yubin looks names up
 * (lib/dns.h for mail routing, net/rdns.c for client names), and the loop
 * that runs it.  The channel asks DNS only (never /etc/hosts), appends no
 * search domains, uses EDNS with a 1232-octet payload, and queries the
 * resolvers of control/resolvers (one "ip", "ip:port" or "[v6]:port" a line,
 * at most DNSCHAN_LINE_MAX octets), else the system's. */
#ifndef YUBIN_DNSCHAN_H
#define YUBIN_DNSCHAN_H
#include <ares.h>

#define DNSCHAN_LINE_MAX 64     /* a control/resolvers line */
#define DNSCHAN_EDNS_PAYLOAD 1232

/* Initialises c-ares and *ch with try_ms per try and tries tries.  Returns
 * 1, or 0 with a reason in *why (c-ares is then cleaned up again). */
int dnschan_open(ares_channel *ch, int try_ms, int tries, const char **why);
/* Destroys ch and cleans c-ares up. */
void dnschan_close(ares_channel ch);
/* Milliseconds of the monotonic clock, for deadlines. */
long long dnschan_now_ms(void);
/* Runs ch until *done is set (by a query's callback) or the monotonic clock
 * reaches deadline_ms.  Returns 1 when done, 0 on time-out or a poll error
 * (the channel's queries are then cancelled: their callbacks run). */
int dnschan_wait(ares_channel ch, int *done, long long deadline_ms);

#endif
