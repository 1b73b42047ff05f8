/* conn.h: one outbound SMTP connection, plain or TLS, with bounded line
 * reads and a timeout on every read and write. */
#ifndef YUBIN_REMOTE_CONN_H
#define YUBIN_REMOTE_CONN_H
#include <stddef.h>
#include <sys/socket.h>
#include "tlsclient.h"
#include "wire.h"

#define CONN_BUF 4096

typedef struct conn {
  int fd;
  int timeout_ms;
  tlsclient *tls;          /* non-NULL once STARTTLS succeeded */
  char in[CONN_BUF];
  size_t start, end;
  char line[REPLY_LINE_MAX + 2];
} conn;

/* Connects to sa with a timeout.  Returns 1, or 0 with errno. */
int conn_open(conn *c, const struct sockaddr *sa, socklen_t len, int timeout_ms);
void conn_close(conn *c);
/* Writes all n bytes.  Returns 1, or 0 with errno. */
int conn_write(conn *c, const void *buf, size_t n);
/* Reads one complete reply into r (reset first), waiting at most timeout_ms
 * per read.  Returns 1, or 0 with errno (ETIMEDOUT, EPIPE for EOF, EPROTO). */
int conn_reply(conn *c, reply *r, int timeout_ms);
/* 1 if the server sent bytes we have not read (must be 0 before STARTTLS). */
int conn_pending(const conn *c);

#endif
