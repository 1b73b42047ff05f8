/* handoff.h: how the login stage hands a session to yubin-pop3d.
 * The login stage runs ROOT/bin/yubin-auth pop3 with:
 *   fd 0, 1  the connection
 *   fd 3     the credential record (yubin-auth reads it)
 *   fd 5     a pipe back to the login stage: yubin-pop3d writes one byte,
 *            HANDOFF_OK once it has locked and listed the maildrop, or
 *            HANDOFF_IN_USE when another session holds the lock (it has then
 *            written nothing to the client and exits 3).
 *   fd 4     after HANDOFF_OK, the login stage records the login (POP-before-
 *            SMTP), writes on this pipe the client's input it had already
 *            read past the PASS/AUTH line (pipelined commands) and closes it;
 *            at EOF yubin-pop3d sends its "+OK" and takes the connection.
 * If the login stage reads EOF on fd 5 with no byte, yubin-pop3d never took
 * the session: it reads yubin-auth's exit code (1 wrong credentials,
 * 2 disabled, 111 temporary) and replies to the client itself. */
#ifndef YUBIN_HANDOFF_H
#define YUBIN_HANDOFF_H

#define HANDOFF_CRED_FD 3
#define HANDOFF_INPUT_FD 4
#define HANDOFF_STATUS_FD 5
#define HANDOFF_OK 'K'
#define HANDOFF_IN_USE 'L'

#endif
