/* out.h: yubinctl's output: plain lines, or JSON with --json; errors as one
 * line on stderr (and {"error": "..."} on stdout with --json). */
#ifndef YUBIN_CTL_OUT_H
#define YUBIN_CTL_OUT_H

#define CTL_OK 0
#define CTL_USAGE 100     /* usage or invalid input */
#define CTL_TEMP 111      /* temporary or system error */

extern int out_json;

_Noreturn void ctl_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As ctl_fail with ": strerror(errno)" appended. */
_Noreturn void ctl_fail_sys(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal (quoted, escaped) on stdout. */
void json_str(const char *s);
/* A comma-separated list ("a,b") as a JSON array of strings on stdout. */
void json_csv(const char *csv);
/* {"ok": true} for --json runs of commands that print nothing else. */
void out_done(void);

#endif
