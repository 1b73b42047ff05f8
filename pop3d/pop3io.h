/* pop3io.h: buffered replies to the client with a write time-out, shared by
 * the login stage and yubin-pop3d.  A failed or timed-out write ends the
 * session (the client is gone): the program exits through die(). */
#ifndef YUBIN_POP3IO_H
#define YUBIN_POP3IO_H
#include <stddef.h>

#define POP3_OUT_SIZE 65536

/* Sets the descriptor and the time-out (milliseconds) for each write. */
void out_init(int fd, int timeout_ms);
void out_put(const char *s, size_t n);
void out_puts(const char *s);
/* Formatted, at most 1024 bytes. */
void out_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_flush(void);
/* Space left in the buffer and a pointer to it, for converters that write in
 * place; out_commit(n) accepts n bytes written there. */
char *out_room(size_t want);
void out_commit(size_t n);

#endif
