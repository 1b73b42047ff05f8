/* log.h: one event per line on stderr, for s6-log (which adds the time).
 * Shape: "PROG: info: SESSION key=value ..." / "PROG: fatal: unable to X: reason".
 * Never log a password or a message body. */
#ifndef YUBIN_LOG_H
#define YUBIN_LOG_H

void log_init(const char *argv0);          /* sets the program name */
const char *log_prog(void);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs "PROG: fatal: ..." and exits with code. */
_Noreturn void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As die, appending ": strerror(errno)". */
_Noreturn void die_sys(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void warn_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies s into out (size n) with every byte outside printable ASCII
 * replaced by '?', so input can be logged safely on one line. */
const char *log_safe(const char *s, char *out, unsigned long n);

#endif
