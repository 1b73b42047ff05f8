/* queueprog.h: running the queue injector (qmail's QMAILQUEUE convention).
 *
 * Callers that inject mail (yubin-inject, yubin-smtpd, yubin-local forwards)
 * run the program named by the environment variable YUBINQUEUE when it is set
 * and not empty, else ROOT/bin/yubin-queue.  A filter named there gets the
 * same interface (message on fd 0, envelope on fd 1, qmail-queue exit codes)
 * and usually ends by running ROOT/bin/yubin-queue itself.  yubin-queue never
 * looks at YUBINQUEUE: the variable only chooses what the caller runs, with
 * the caller's own rights. */
#ifndef YUBIN_QUEUEPROG_H
#define YUBIN_QUEUEPROG_H
#include <stddef.h>
#include <sys/types.h>

#define QUEUEPROG_ENV "YUBINQUEUE"

/* The injector's path into out (size n).  Returns 1, or 0 with ENAMETOOLONG. */
int queueprog_path(char *out, size_t n);

/* A running injector: write the message to msgfd, close it, write the
 * envelope to envfd, close it, then queueprog_wait. */
typedef struct queueprog {
  pid_t pid;
  int msgfd;
  int envfd;
} queueprog;

/* Starts the injector at path (queueprog_path's choice when path is NULL).
 * SIGPIPE is ignored from here on in the caller, so an injector that refuses
 * early shows as EPIPE on a write and then as its exit code.
 * Returns 1, or 0 with errno. */
int queueprog_start(queueprog *q, const char *path);
/* Closes what is still open and waits.  Returns the exit code (0..255),
 * 81 (qmail-queue's "internal bug") if the injector was killed by a signal,
 * or -1 with errno if waiting failed. */
int queueprog_wait(queueprog *q);
/* Convenience: the whole message and envelope from buffers.  Returns as
 * queueprog_wait; -1 with errno if the injector could not be started. */
int queueprog_run(const char *path, const char *msg, size_t msglen, const char *env, size_t envlen);
/* Short English text of a qmail-queue exit code (static). */
const char *queueprog_strerror(int code);

#endif
