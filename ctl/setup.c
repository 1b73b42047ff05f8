#include "setup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

#include "atomic.h"
#include "cdbw.h"
#include "fsx.h"
#include "log.h"
#include "privs.h"
#include "sa.h"
#include "templates.h"

#define NOBODY_HOME "/nonexistent"
#define NOLOGIN "/usr/sbin/nologin"

static const char *const queue_dirs[] = { "mess", "intd", "todo", "info", "local", "remote", "bounce" };

/* ---- users ---- */

static int run(char *const argv[])
{
  pid_t pid = fork();
  int st;
  if (pid < 0) return 0;
  if (pid == 0) {
    int fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) { dup2(fd, 1); }
    execv(argv[0], argv);
    _exit(127);
  }
  while (waitpid(pid, &st, 0) < 0) if (errno != EINTR) return 0;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int have_user(const char *name) { return getpwnam(name) != 0; }
static int have_group(const char *name) { return getgrnam(name) != 0; }

/* Other instances may be set up at the same moment: a failed useradd is
 * fine when the user exists afterwards; otherwise it is retried briefly. */
static int ensure_group(const char *name)
{
  int i;
  for (i = 0; i < 5; i++) {
    char *argv[] = { "/usr/sbin/groupadd", "--system", (char *)name, 0 };
    if (have_group(name)) return 1;
    if (run(argv) || have_group(name)) { log_info("created group %s", name); return 1; }
    sleep(1);
  }
  log_warn("unable to create group %s", name);
  return 0;
}

static int ensure_user(const char *name, const char *group)
{
  int i;
  for (i = 0; i < 5; i++) {
    char *own[] = { "/usr/sbin/useradd", "--system", "--user-group", "--no-create-home",
                    "--home-dir", NOBODY_HOME, "--shell", NOLOGIN, (char *)name, 0 };
    char *shared[] = { "/usr/sbin/useradd", "--system", "--gid", (char *)group, "--no-create-home",
                       "--home-dir", NOBODY_HOME, "--shell", NOLOGIN, (char *)name, 0 };
    if (have_user(name)) return 1;
    if (run(group ? shared : own) || have_user(name)) { log_info("created user %s", name); return 1; }
    sleep(1);
  }
  log_warn("unable to create user %s", name);
  return 0;
}

int setup_users(void)
{
  static const char *const own[] = { YUBIN_USER_DAEMON, YUBIN_USER_TLS, YUBIN_USER_LOG, YUBIN_USER_VIRTUAL };
  static const char *const shared[] = { YUBIN_USER_QUEUE, YUBIN_USER_SEND, YUBIN_USER_REMOTE };
  size_t i;
  if (!ensure_group(YUBIN_GROUP)) return 0;
  for (i = 0; i < sizeof own / sizeof own[0]; i++) if (!ensure_user(own[i], 0)) return 0;
  for (i = 0; i < sizeof shared / sizeof shared[0]; i++) if (!ensure_user(shared[i], YUBIN_GROUP)) return 0;
  return 1;
}

static int user_ids(const char *name, uid_t *u, gid_t *g)
{
  struct passwd *pw = getpwnam(name);
  if (!pw) { log_warn("no user %s", name); errno = ENOENT; return 0; }
  *u = pw->pw_uid;
  *g = pw->pw_gid;
  return 1;
}

int setup_ids_load(setup_ids *ids)
{
  struct group *gr;
  gid_t g;
  memset(ids, 0, sizeof *ids);
  if (geteuid() != 0) {
    ids->q = ids->s = ids->r = ids->d = ids->t = ids->log = ids->v = FSX_NOCHOWN;
    ids->yubin = ids->gd = ids->gt = ids->glog = ids->gv = (gid_t)-1;
    return 1;
  }
  ids->root = 1;
  if (!user_ids(YUBIN_USER_QUEUE, &ids->q, &g) || !user_ids(YUBIN_USER_SEND, &ids->s, &g) ||
      !user_ids(YUBIN_USER_REMOTE, &ids->r, &g) || !user_ids(YUBIN_USER_DAEMON, &ids->d, &ids->gd) ||
      !user_ids(YUBIN_USER_TLS, &ids->t, &ids->gt) || !user_ids(YUBIN_USER_LOG, &ids->log, &ids->glog) ||
      !user_ids(YUBIN_USER_VIRTUAL, &ids->v, &ids->gv))
    return 0;
  gr = getgrnam(YUBIN_GROUP);
  if (!gr) { log_warn("no group %s", YUBIN_GROUP); errno = ENOENT; return 0; }
  ids->yubin = gr->gr_gid;
  return 1;
}

/* ---- the target directory ---- */

int setup_check_target(const char *root)
{
  char p[PATH_MAX];
  DIR *d;
  struct dirent *de;
  int empty = 1;
  d = opendir(root);
  if (!d) {
    if (errno == ENOENT) return 1;
    if (errno == ENOTDIR) return 0;
    return -1;
  }
  while ((de = readdir(d))) {
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) { empty = 0; break; }
  }
  closedir(d);
  if (empty) return 1;
  snprintf(p, sizeof p, "%s/control", root);
  if (!fsx_isdir(p)) { errno = ENOTEMPTY; return 0; }
  snprintf(p, sizeof p, "%s/queue", root);
  if (!fsx_isdir(p)) { errno = ENOTEMPTY; return 0; }
  return 1;
}

/* ---- templates ---- */

static unsigned long port(const setup_opts *o, unsigned long dflt_test, unsigned long standard)
{
  return o->standard_ports ? standard : dflt_test + o->port_offset;
}

int setup_expand(const setup_opts *o, int as_root, const char *in, size_t n, sa *out)
{
  static const struct { const char *name; unsigned long test, std; } ports[] = {
    { "PORT_SMTP", 2525, 25 }, { "PORT_SUBMISSION", 2587, 587 }, { "PORT_SMTPS", 2465, 465 },
    { "PORT_POP3", 2110, 110 }, { "PORT_POP3S", 2995, 995 }, { "PORT_IMAP", 2143, 143 },
    { "PORT_IMAPS", 2993, 993 },
  };
  size_t i = 0, k;
  out->len = 0;
  while (i < n) {
    const char *end;
    size_t nl;
    if (in[i] != '@') { if (!sa_catc(out, in[i])) return 0; i++; continue; }
    end = memchr(in + i + 1, '@', n - i - 1);
    if (!end) { if (!sa_catb(out, in + i, n - i)) return 0; break; }
    nl = (size_t)(end - (in + i + 1));
    if (nl == 4 && !memcmp(in + i + 1, "ROOT", 4)) {
      if (!sa_cats(out, o->root)) return 0;
    } else if (nl == 7 && !memcmp(in + i + 1, "LOGUSER", 7)) {
      if (as_root && !sa_cats(out, "s6-setuidgid " YUBIN_USER_LOG " ")) return 0;
    } else {
      for (k = 0; k < sizeof ports / sizeof ports[0]; k++) {
        if (strlen(ports[k].name) == nl && !memcmp(in + i + 1, ports[k].name, nl)) break;
      }
      if (k == sizeof ports / sizeof ports[0]) {
        /* not a placeholder: keep the '@' and go on after it */
        if (!sa_catc(out, '@')) return 0;
        i++;
        continue;
      }
      if (!sa_catu(out, port(o, ports[k].test, ports[k].std))) return 0;
    }
    i += nl + 2;
  }
  return 1;
}

/* ---- the instance ---- */

#define P(rel) (snprintf(path, sizeof path, "%s/%s", o->root, rel) < (int)sizeof path ? path : toolong())

static char *toolong(void) { errno = ENAMETOOLONG; return "/nonexistent/name-too-long"; }

#define TRY(what, expr) do { if (!(expr)) { warn_sys("unable to %s %s", what, path); return 0; } } while (0)

static int make_bin(const setup_opts *o, const setup_ids *ids)
{
  char self[PATH_MAX], bin[PATH_MAX], path[PATH_MAX], src[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  char *slash;
  DIR *d;
  struct dirent *de;
  uid_t root = ids->root ? 0 : FSX_NOCHOWN;

  TRY("create", fsx_dir(P("bin"), 0755, root, 0));
  if (n <= 0) { warn_sys("unable to read /proc/self/exe"); return 0; }
  self[n] = 0;
  slash = strrchr(self, '/');
  if (!slash) return 0;
  *slash = 0;
  if (!realpath(P("bin"), bin)) { warn_sys("unable to resolve %s", path); return 0; }
  d = opendir(self);
  if (!d) { warn_sys("unable to open %s", self); return 0; }
  while ((de = readdir(d))) {
    struct stat st;
    mode_t mode = 0755;
    uid_t u = root;
    gid_t g = 0;
    if (strncmp(de->d_name, "yubin", 5) != 0 || strchr(de->d_name, '.')) continue;
    if ((size_t)snprintf(src, sizeof src, "%s/%s", self, de->d_name) >= sizeof src) continue;
    if (stat(src, &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) continue;
    /* setgid yubin too, so queue files get group yubin (queue/README.md) */
    if (ids->root && !strcmp(de->d_name, "yubin-queue")) { mode = 06711; u = ids->q; g = ids->yubin; }
    if (ids->root && !strcmp(de->d_name, "yubin-auth")) { mode = 04750; u = 0; g = ids->gd; }
    if ((size_t)snprintf(path, sizeof path, "%s/%s", bin, de->d_name) >= sizeof path) continue;
    if (strcmp(self, bin) == 0) {
      TRY("set the mode of", fsx_own(path, mode, u, g));
    } else {
      TRY("install", fsx_copy(src, path, mode, u, g));
    }
  }
  closedir(d);
  TRY("link", fsx_symlink("yubin-inject", P("bin/sendmail")));
  TRY("link", fsx_symlink("yubin-inject", P("bin/mailq")));
  return 1;
}

static int make_control(const setup_opts *o, const setup_ids *ids)
{
  static const struct { const char *name, *value; } defaults[] = {
    { "locals", "" }, { "rcpthosts", "" }, { "databytes", "52428800\n" },
    { "concurrencylocal", "10\n" }, { "concurrencyremote", "20\n" },
    { "concurrencyperdomain", "5\n" }, { "queuelifetime", "604800\n" },
    { "maxforwards", "10\n" }, { "maxrcpt", "100\n" }, { "doublebounceto", "postmaster\n" },
    { "popbeforesmtp", "10\n" }, { "listen", "127.0.0.1\n" },
  };
  char path[PATH_MAX], host[256], rel[64], line[300];
  uid_t root = ids->root ? 0 : FSX_NOCHOWN;
  size_t i;
  int n;

  TRY("create", fsx_dir(P("control"), 0755, root, 0));
  for (i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
    snprintf(rel, sizeof rel, "control/%s", defaults[i].name);
    TRY("create", fsx_file_default(P(rel), defaults[i].value, strlen(defaults[i].value), 0644, root, 0));
  }
  if (o->me) {
    n = snprintf(line, sizeof line, "%s\n", o->me);
    TRY("write", atomic_write(P("control/me"), line, (size_t)n, 0644, root, 0));
  } else {
    if (gethostname(host, sizeof host - 1) != 0 || !host[0]) strcpy(host, "localhost");
    host[sizeof host - 1] = 0;
    n = snprintf(line, sizeof line, "%s\n", host);
    TRY("create", fsx_file_default(P("control/me"), line, (size_t)n, 0644, root, 0));
  }
  return 1;
}

/* The whole of a small file (at most 64 KiB) into out. */
static int read_whole(const char *file, sa *out)
{
  int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  out->cap = 65536;
  if (fd < 0) return 0;
  for (;;) {
    ssize_t r;
    if (!sa_ready(out, out->len + 4097)) { close(fd); return 0; }
    r = read(fd, out->s + out->len, 4096);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { close(fd); return 0; }
    if (r == 0) break;
    out->len += (size_t)r;
  }
  close(fd);
  return 1;
}

/* control/tls/default.pem: a self-signed certificate for a new instance, made
 * with Debian's openssl (EC P-256, ten years, CN = control/me), so TLS works
 * from the first start; a real one replaces it (net/README-tlsd.md).  The
 * key is root's alone (mode 0600): yubin-tlsd reads it before it drops its
 * privileges, and no protocol daemon ever can. */
static int make_tls(const setup_opts *o, const setup_ids *ids)
{
  char path[PATH_MAX], key[PATH_MAX + 32], crt[PATH_MAX + 32], subj[300], me[256];
  uid_t root = ids->root ? 0 : FSX_NOCHOWN;
  DIR *d;
  struct dirent *de;
  int have = 0;
  sa a = SA_ZERO, b = SA_ZERO;
  FILE *f;

  TRY("create", fsx_dir(P("control/tls"), 0755, root, 0));
  /* Relay credentials for yubin-remote: readable by yubinr only. */
  TRY("create", fsx_file_default(P("control/relayauth"), "", 0, 0400, ids->root ? ids->r : FSX_NOCHOWN, ids->yubin));
  d = opendir(P("control/tls"));
  if (!d) return 0;
  while ((de = readdir(d)) != 0) {
    size_t n = strlen(de->d_name);
    if (n > 4 && !strcmp(de->d_name + n - 4, ".pem")) have = 1;
  }
  closedir(d);
  if (have) return 1;
  f = fopen(P("control/me"), "r");
  if (!f || !fgets(me, sizeof me, f)) strcpy(me, "localhost");
  if (f) fclose(f);
  me[strcspn(me, "\r\n/")] = 0;
  snprintf(subj, sizeof subj, "/CN=%s", me[0] ? me : "localhost");
  snprintf(key, sizeof key, "%s.key.%ld", P("control/tls/default.pem"), (long)getpid());
  snprintf(crt, sizeof crt, "%s.crt.%ld", P("control/tls/default.pem"), (long)getpid());
  {
    char *const argv[] = { "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                           "ec_paramgen_curve:P-256", "-nodes", "-days", "3650", "-subj", subj,
                           "-keyout", key, "-out", crt, 0 };
    int ok;
    mode_t old = umask(077);
    ok = run(argv);
    umask(old);
    if (!ok) {
      unlink(key);
      unlink(crt);
      log_warn("unable to make a self-signed certificate with /usr/bin/openssl: TLS is off until control/tls/default.pem exists");
      return 1;
    }
  }
  {
    int ok = read_whole(crt, &a) && read_whole(key, &b) && sa_catb(&a, b.s, b.len);
    unlink(key);
    unlink(crt);
    if (b.s) sodium_memzero(b.s, b.a);
    sa_free(&b);
    if (!ok) { sa_free(&a); log_warn("unable to read the new certificate"); return 0; }
    ok = atomic_write(P("control/tls/default.pem"), a.s, a.len, 0600, root, 0);
    sodium_memzero(a.s, a.a);
    sa_free(&a);
    TRY("write", ok);
  }
  log_info("made a self-signed certificate for %s in control/tls/default.pem", me);
  return 1;
}

static int empty_cdb(const char *path, mode_t mode, uid_t uid)
{
  cdbw w;
  struct stat st;
  if (lstat(path, &st) == 0) return fsx_own(path, mode, uid, 0);
  if (!cdbw_start(&w, path)) { cdbw_abort(&w); return 0; }
  return cdbw_finish(&w, mode, uid, 0);
}

static int make_accounts(const setup_opts *o, const setup_ids *ids)
{
  static const char *const text[] = { "domains", "accounts", "aliases", "extensions" };
  char path[PATH_MAX], rel[64];
  uid_t root = ids->root ? 0 : FSX_NOCHOWN;
  size_t i;

  TRY("create", fsx_dir(P("accounts"), 0755, root, 0));
  for (i = 0; i < sizeof text / sizeof text[0]; i++) {
    snprintf(rel, sizeof rel, "accounts/%s", text[i]);
    TRY("create", fsx_file_default(P(rel), "", 0, 0644, root, 0));
  }
  TRY("create", fsx_file_default(P("accounts/passwd"), "", 0, 0600, root, 0));
  TRY("create", fsx_file_default(P("accounts/lock"), "", 0, 0600, root, 0));
  TRY("create", empty_cdb(P("accounts/accounts.cdb"), 0644, root));
  TRY("create", empty_cdb(P("accounts/passwd.cdb"), 0600, root));
  return 1;
}

static int make_queue(const setup_opts *o, const setup_ids *ids)
{
  char path[PATH_MAX], rel[64];
  size_t i;
  unsigned b;
  uid_t q = ids->q, s = ids->s;
  gid_t g = ids->yubin;

  TRY("create", fsx_dir(P("queue"), 0750, q, g));
  TRY("create", fsx_dir(P("queue/lock"), 0750, q, g));
  if (mkfifo(P("queue/lock/trigger"), 0622) != 0 && errno != EEXIST) TRY("create", 0);
  {
    struct stat st;
    TRY("inspect", lstat(path, &st) == 0);
    if (!S_ISFIFO(st.st_mode)) { errno = EEXIST; TRY("create the FIFO", 0); }
  }
  TRY("set the mode of", fsx_own(path, 0622, s, g));
  for (i = 0; i < sizeof queue_dirs / sizeof queue_dirs[0]; i++) {
    const char *d = queue_dirs[i];
    int mine = i < 3;   /* mess intd todo belong to yubin-queue, the rest to yubin-send */
    mode_t mode = !strcmp(d, "intd") || !mine ? 0700 : 0750;
    uid_t u = mine ? q : s;
    /* setgid: whatever group yubin-queue runs with, its files get group
     * yubin, which yubin-send reads them through */
    if (mine && ids->root) mode |= 02000;
    snprintf(rel, sizeof rel, "queue/%s", d);
    TRY("create", fsx_dir(P(rel), mode, u, g));
    for (b = 0; b < 256; b++) {
      snprintf(rel, sizeof rel, "queue/%s/%02x", d, b);
      TRY("create", fsx_dir(P(rel), mode, u, g));
    }
  }
  return 1;
}

/* The service names are the first component of the template paths. */
static int next_service(size_t *i, char *name, size_t n)
{
  while (ctl_templates[*i].path) {
    const char *p = ctl_templates[*i].path, *slash = strchr(p, '/');
    size_t l = slash ? (size_t)(slash - p) : 0;
    (*i)++;
    if (!slash || l >= n) continue;
    if (*i >= 2 && !strncmp(ctl_templates[*i - 2].path, p, l) && ctl_templates[*i - 2].path[l] == '/') continue;
    memcpy(name, p, l);
    name[l] = 0;
    return 1;
  }
  return 0;
}

static int make_dirs_of(const char *base, const char *rel, uid_t root)
{
  char p[PATH_MAX];
  const char *s = rel;
  while ((s = strchr(s, '/'))) {
    if ((size_t)snprintf(p, sizeof p, "%s/%.*s", base, (int)(s - rel), rel) >= sizeof p) {
      errno = ENAMETOOLONG;
      return 0;
    }
    if (!fsx_dir(p, 0755, root, 0)) return 0;
    s++;
  }
  return 1;
}

static int make_services(const setup_opts *o, const setup_ids *ids)
{
  char path[PATH_MAX], rel[PATH_MAX], svc[PATH_MAX], name[128];
  uid_t root = ids->root ? 0 : FSX_NOCHOWN;
  sa out = SA_ZERO;
  size_t i;

  TRY("create", fsx_dir(P("log"), 0755, root, 0));
  TRY("create", fsx_dir(P("service"), 0755, root, 0));
  snprintf(svc, sizeof svc, "%s", path);
  for (i = 0; ctl_templates[i].path; i++) {
    const ctl_template *t = &ctl_templates[i];
    if (!make_dirs_of(svc, t->path, root)) { warn_sys("unable to create the directories of service/%s", t->path); return 0; }
    if (!setup_expand(o, ids->root, (const char *)t->data, t->len, &out)) { warn_sys("out of memory"); return 0; }
    snprintf(rel, sizeof rel, "service/%s", t->path);
    TRY("write", atomic_write(P(rel), out.s ? out.s : "", out.len, t->mode, root, 0));
  }
  sa_free(&out);
  i = 0;
  while (next_service(&i, name, sizeof name)) {
    snprintf(rel, sizeof rel, "log/%s", name);
    TRY("create", fsx_dir(P(rel), 0750, ids->root ? ids->log : FSX_NOCHOWN, ids->glog));
  }
  return 1;
}

int setup_instance(const setup_opts *o, const setup_ids *ids)
{
  char path[PATH_MAX];
  uid_t root = ids->root ? 0 : FSX_NOCHOWN;
  umask(022);
  TRY("create", fsx_dir(o->root, 0755, root, 0));
  if (!make_bin(o, ids) || !make_control(o, ids) || !make_tls(o, ids) || !make_accounts(o, ids) ||
      !make_queue(o, ids) || !make_services(o, ids))
    return 0;
  TRY("create", fsx_dir(P("mail"), 0755, root, 0));
  /* per-IP state shared by the login stages and smtpd (doc/ipstate.md) */
  TRY("create", fsx_dir(P("run"), 0700, ids->d, ids->gd));
  TRY("create", fsx_dir(P("run/pbs"), 0700, ids->d, ids->gd));
  TRY("create", fsx_dir(P("run/authfail"), 0700, ids->d, ids->gd));
  return 1;
}
