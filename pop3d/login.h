/* login.h: the login stage's hand-over to yubin-auth and yubin-pop3d
 * (the protocol is in handoff.h). */
#ifndef YUBIN_LOGIN_H
#define YUBIN_LOGIN_H
#include <stddef.h>

#define LOGIN_OK 0        /* yubin-pop3d has the session; the login stage is done */
#define LOGIN_BAD 1       /* wrong credentials */
#define LOGIN_DISABLED 2  /* account disabled */
#define LOGIN_IN_USE 3    /* another session holds the maildrop */
#define LOGIN_TEMP 4      /* temporary failure */

/* Runs auth (ROOT/bin/yubin-auth) with "PLAIN\0user\0pass\0" on its fd 3
 * and waits for yubin-pop3d's status on fd 5.  On LOGIN_OK the child is still
 * running and waiting for its input pipe (fd 4): *pid and *input are set, and
 * the caller records the login, then calls login_handover. */
int login_run(const char *auth, const char *user, const char *pass, int *pid, int *input);
/* Gives yubin-pop3d the client's pipelined input (n bytes) and closes the
 * pipe, which lets it send its "+OK". */
void login_handover(int input, const char *pending, size_t n);

#endif
