/* handoff.h: how the login stage hands a session to yubin-pop3d.
 * The login stage runs ROOT/bin/yubin-auth pop3 with:
 *   fd 0, 1  the connection
 *   fd 3     the credential record (yubin-auth reads it)
 *   fd 4     a pipe carrying the client's input the login stage had already
 *            read past the PASS/AUTH line (pipelined commands), then EOF
 *   fd 5     a pipe back to the login stage: yubin-pop3d writes one byte,
 *            HANDOFF_OK after it has locked the maildrop and sent "+OK", or
 *            HANDOFF_IN_USE when another session holds the lock (it has then
 *            written nothing to the client and exits 3).
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
