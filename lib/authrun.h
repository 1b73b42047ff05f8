/* authrun.h: a login stage's hand-over to ROOT/bin/yubin-auth, which checks
 * the credentials and starts the session program as the account (POP3 or
 * IMAP).  The descriptors:
 *   fd 3  the credential record "PLAIN\0user\0pass\0", read by yubin-auth
 *   fd 5  the session program writes one byte: AUTHRUN_READY once it has
 *         opened the mailbox, AUTHRUN_BUSY if another session holds it;
 *         EOF with no byte means yubin-auth refused (see its exit code)
 *   fd 4  after AUTHRUN_READY the login stage writes the client's input it
 *         had already read past the login command, and closes it; the
 *         session program reads the client only after EOF here.
 *   fd 0, 1  the connection
 * When the login stage reads EOF on fd 5 with no byte, the session program
 * never took the session: yubin-auth's exit code says why (1 wrong
 * credentials, 2 disabled, 111 temporary) and the login stage replies.
 * Shared by the POP3 and IMAP login stages (lib/loginstage.h). */
#ifndef YUBIN_AUTHRUN_H
#define YUBIN_AUTHRUN_H
#include <stddef.h>

#define AUTHRUN_CRED_FD 3
#define AUTHRUN_INPUT_FD 4
#define AUTHRUN_STATUS_FD 5
#define AUTHRUN_READY 'K'
#define AUTHRUN_BUSY 'L'

#define AUTHRUN_OK 0        /* the session program has the session */
#define AUTHRUN_BAD 1       /* wrong credentials */
#define AUTHRUN_DISABLED 2  /* account disabled */
#define AUTHRUN_IN_USE 3    /* another session holds the mailbox */
#define AUTHRUN_TEMP 4      /* temporary failure */

/* Runs auth with argument service ("pop3" or "imap") and the credentials on
 * its fd 3; waits for the session program's status.  On AUTHRUN_OK the
 * child runs and waits for its input pipe: *pid and *input are set, and the
 * caller records the login, then calls authrun_handover. */
int authrun(const char *auth, const char *service, const char *user, const char *pass, int *pid,
            int *input);
/* Gives the session program the pipelined input (n bytes) and closes the pipe. */
void authrun_handover(int input, const char *pending, size_t n);

/* For the session program: tells the login stage (when fd 5 is a pipe) that
 * it has the mailbox (c = AUTHRUN_READY) or not (AUTHRUN_BUSY).  Returns 1
 * if there is a login stage, 0 if not (a pre-authenticated start). */
int authrun_status(char c);
/* For the session program: reads the pipelined input from fd 4 (when it is
 * a pipe) into buf, at most n bytes, until EOF.  Returns the byte count
 * (0 when fd 4 is not a pipe), or -1 if there was more than n. */
long authrun_input(char *buf, size_t n);

#endif
