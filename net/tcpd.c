#include "tcpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cdb.h>

#include "access.h"
#include "log.h"
#include "rdns.h"
#include "privs.h"

typedef struct conn {
  pid_t pid;
  char ip[TCPD_IP_MAX];
  char port[8];
} conn;

static conn *conns;
static size_t nconns;
static volatile sig_atomic_t got_term, got_chld;

static void on_term(int sig) { (void)sig; got_term = 1; }
static void on_chld(int sig) { (void)sig; got_chld = 1; }

int tcpd_listen(const char *ip, const char *port)
{
  struct addrinfo hints, *ai;
  int fd, one = 1, e;
  memset(&hints, 0, sizeof hints);
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  hints.ai_socktype = SOCK_STREAM;
  e = getaddrinfo(ip, port, &hints, &ai);
  if (e != 0) { errno = EINVAL; return -1; }
  fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { freeaddrinfo(ai); return -1; }
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 256) != 0) {
    e = errno;
    close(fd);
    freeaddrinfo(ai);
    errno = e;
    return -1;
  }
  freeaddrinfo(ai);
  return fd;
}

static void addr_text(const struct sockaddr_storage *ss, char *ip, size_t iplen, char *port, size_t plen)
{
  unsigned p = 0;
  ip[0] = 0;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &s4->sin_addr, ip, (socklen_t)iplen);
    p = ntohs(s4->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) inet_ntop(AF_INET, s6->sin6_addr.s6_addr + 12, ip, (socklen_t)iplen);
    else inet_ntop(AF_INET6, &s6->sin6_addr, ip, (socklen_t)iplen);
    p = ntohs(s6->sin6_port);
  }
  snprintf(port, plen, "%u", p);
}

static size_t count_ip(const char *ip)
{
  size_t i, n = 0;
  for (i = 0; i < nconns; i++) if (strcmp(conns[i].ip, ip) == 0) n++;
  return n;
}

static void reap(void)
{
  for (;;) {
    int st;
    size_t i;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) return;
    for (i = 0; i < nconns; i++) if (conns[i].pid == pid) break;
    if (i == nconns) continue;
    if (WIFEXITED(st))
      log_info("end ip=%s port=%s pid=%ld result=exit%d", conns[i].ip, conns[i].port, (long)pid, WEXITSTATUS(st));
    else
      log_info("end ip=%s port=%s pid=%ld result=signal%d", conns[i].ip, conns[i].port, (long)pid,
               WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    conns[i] = conns[--nconns];
  }
}

/* Access rules for ip: 1 allow (vars filled), 0 deny.  A missing cdb allows;
 * an unreadable one is logged and allows nothing special (no variables). */
static int access_for(const tcpd_config *cf, const char *ip, char *vars, size_t *vl)
{
  struct cdb c;
  int fd, r;
  *vl = 0;
  if (!cf->access_cdb) return 1;
  fd = open(cf->access_cdb, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) warn_sys("unable to open %s", cf->access_cdb);
    return 1;
  }
  if (cdb_init(&c, fd) != 0) { log_warn("unable to read %s", cf->access_cdb); close(fd); return 1; }
  r = access_lookup(&c, ip, vars, vl);
  cdb_free(&c);
  close(fd);
  if (r < 0) { log_warn("unable to read %s: treating %s as unlisted", cf->access_cdb, ip); *vl = 0; return 1; }
  return r;
}

static int host_ok(const char *s)
{
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '.' || *s == '-' || *s == '_'))
      return 0;
  return 1;
}

/* The client's name.  DNS replies are network input, and a session process
 * that keeps root (for yubin-tlsd) must not parse them: then the lookup runs
 * in a process of its own as yubind, which hands back at most a name. */
static int remote_name(const char *ip, char *name, size_t n, int ms)
{
  int p[2], st;
  pid_t pid;
  size_t got = 0;
  uid_t uid;
  gid_t gid;
  if (geteuid() != 0) return rdns_lookup(ip, name, n, ms);
  if (privs_user(YUBIN_USER_DAEMON, &uid, &gid) != 1 || pipe(p) != 0) return 0;
  pid = fork();
  if (pid < 0) { close(p[0]); close(p[1]); return 0; }
  if (pid == 0) {
    close(p[0]);
    if (!privs_drop(uid, gid)) _exit(111);
    if (rdns_lookup(ip, name, n, ms)) (void)!write(p[1], name, strlen(name));
    _exit(0);
  }
  close(p[1]);
  for (;;) {
    ssize_t r = read(p[0], name + got, n - 1 - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
    if (got == n - 1) break;
  }
  close(p[0]);
  name[got] = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  return got > 0;
}

static void child(const tcpd_config *cf, int fd, const char *ip, const char *port, const char *vars, size_t vl)
{
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  char lip[TCPD_IP_MAX], lport[8];
  sigset_t none;
  size_t off = 0;
  signal(SIGTERM, SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) addr_text(&ss, lip, sizeof lip, lport, sizeof lport);
  else { strcpy(lip, "0.0.0.0"); strcpy(lport, "0"); }
  if (setenv("PROTO", "TCP", 1) || setenv("TCPREMOTEIP", ip, 1) || setenv("TCPREMOTEPORT", port, 1) ||
      setenv("TCPLOCALIP", lip, 1) || setenv("TCPLOCALPORT", lport, 1))
    _exit(111);
  unsetenv("TCPREMOTEHOST");
  unsetenv("TCPREMOTEINFO");
  if (cf->rdns_ms > 0) {
    /* in the child: a slow DNS server delays this session only */
    char name[RDNS_NAME_MAX + 1];
    if (remote_name(ip, name, sizeof name, cf->rdns_ms) && host_ok(name) && setenv("TCPREMOTEHOST", name, 1) != 0)
      _exit(111);
  }
  while (off < vl) {
    char *kv = (char *)vars + off, *eq = strchr(kv, '=');
    off += strlen(kv) + 1;
    if (!eq) continue;
    *eq = 0;
    if (setenv(kv, eq + 1, 1) != 0) _exit(111);
  }
  if (fcntl(fd, F_SETFL, 0) != 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0) _exit(111);
  if (fd > 1) close(fd);
  execv(cf->argv[0], cf->argv);
  warn_sys("unable to run %s", cf->argv[0]);
  _exit(111);
}

static void handle(const tcpd_config *cf, int lfd)
{
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  char ip[TCPD_IP_MAX], port[8], vars[ACCESS_VALUE_MAX];
  size_t vl;
  pid_t pid;
  int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
      warn_sys("unable to accept");
    return;
  }
  addr_text(&ss, ip, sizeof ip, port, sizeof port);
  if (!access_for(cf, ip, vars, &vl)) {
    log_info("deny ip=%s port=%s pid=0 result=deny", ip, port);
    close(fd);
    return;
  }
  if (count_ip(ip) >= cf->maxperip) {
    if (cf->refusal) {
      char line[256];
      int n = snprintf(line, sizeof line, "%s\r\n", cf->refusal);
      if (n > 0) (void)!send(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    log_info("refuse ip=%s port=%s pid=0 result=perip-limit", ip, port);
    close(fd);
    return;
  }
  pid = fork();
  if (pid < 0) {
    warn_sys("unable to fork");
    close(fd);
    return;
  }
  if (pid == 0) child(cf, fd, ip, port, vars, vl);
  close(fd);
  conns[nconns].pid = pid;
  memcpy(conns[nconns].ip, ip, sizeof ip);
  memcpy(conns[nconns].port, port, sizeof port);
  nconns++;   /* its one log line is written when it ends */
}

int tcpd_serve(const tcpd_config *cf)
{
  struct pollfd pf[TCPD_LISTEN_MAX];
  struct sigaction sa;
  sigset_t block, none;
  size_t i;
  conns = calloc(cf->maxconn, sizeof *conns);
  if (!conns) die_sys(111, "unable to allocate the connection table");
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = on_chld;
  sigaction(SIGCHLD, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGCHLD);
  sigprocmask(SIG_BLOCK, &block, NULL);
  sigemptyset(&none);
  for (;;) {
    int r;
    nfds_t n = 0;
    if (got_chld) { got_chld = 0; reap(); }
    if (got_term) break;
    if (nconns < cf->maxconn)
      for (i = 0; i < cf->nfds; i++) { pf[n].fd = cf->fds[i]; pf[n].events = POLLIN; pf[n].revents = 0; n++; }
    r = ppoll(pf, n, NULL, &none);
    if (r < 0) { if (errno == EINTR) continue; die_sys(111, "unable to poll"); }
    for (i = 0; i < n && nconns < cf->maxconn; i++)
      if (pf[i].revents & POLLIN) handle(cf, pf[i].fd);
  }
  /* SIGTERM: stop accepting, let the sessions end. */
  for (i = 0; i < cf->nfds; i++) close(cf->fds[i]);
  log_info("stopping: waiting for %zu sessions", nconns);
  while (nconns > 0) {
    sigsuspend(&none);
    if (got_chld) { got_chld = 0; reap(); }
  }
  log_info("stopped");
  return 0;
}
