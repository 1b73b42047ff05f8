/* The authenticated and selected states of an IMAP session: reading
 * commands (lines and literals), dispatch, the mailbox commands. */
#include "session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "condstore.h"
#include "copy.h"
#include "imapd.h"
#include "imaputf7.h"
#include "linebuf.h"
#include "log.h"
#include "atomic.h"
#include "maildir.h"
#include "search.h"
#include "sort.h"

#define LIST_WILDCARDS_MAX 16
#define OUT_TIMEOUT_S 300   /* a client that reads nothing for this long is gone */

/* ---- output ------------------------------------------------------------ */

static char outbuf[65536];

static size_t since_armed;   /* bytes written since the write time-out was set */
static sa *capture;          /* out_capture() */
static int capture_lost;

int out_capture(sa *to)
{
  int ok = !capture_lost;
  capture = to;
  capture_lost = 0;
  return ok;
}

/* stdio blocks only when its buffer fills, so the time-out is set again
 * once per buffer's worth (not per call: that would be a system call per
 * FETCH item), and cleared at each flush, at the end of every reply. */
void out_put(const char *s, size_t n)
{
  if (capture) {
    if (!capture_lost && !sa_catb(capture, s, n)) capture_lost = 1;
    return;
  }
  if (since_armed + n >= sizeof outbuf) {
    alarm(OUT_TIMEOUT_S);
    since_armed = 0;
  }
  since_armed += n;
  if (n && fwrite(s, 1, n, stdout) != n) die(111, "unable to write to the client");
}

void out_puts(const char *s) { out_put(s, strlen(s)); }

void out_printf(const char *fmt, ...)
{
  char b[1024];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  out_put(b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
}

void out_string(const char *s, size_t n)
{
  size_t i;
  int plain = n <= 1024;
  for (i = 0; plain && i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') plain = 0;
  }
  if (plain) {
    out_puts("\"");
    out_put(s, n);
    out_puts("\"");
    return;
  }
  out_printf("{%zu}\r\n", n);
  out_put(s, n);
}

void out_nstring(const char *s, size_t n)
{
  if (!s) out_puts("NIL");
  else out_string(s, n);
}

void out_flush(void)
{
  alarm(OUT_TIMEOUT_S);
  if (fflush(stdout) != 0) die(111, "unable to write to the client");
  alarm(0);
  since_armed = 0;
}

/* ---- the session ------------------------------------------------------- */

static session *S;
static sa cmd = { 0, 0, 0, IMAP_MESSAGE_MAX + IMAP_LINE_MAX };

static void tagged(const char *tag, size_t tl, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void tagged(const char *tag, size_t tl, const char *fmt, ...)
{
  char b[1024];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  out_put(tag, tl);
  out_puts(" ");
  if (n > 0) out_put(b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
  out_puts("\r\n");
  out_flush();
}

static void gone(size_t seq, void *ctx)
{
  (void)ctx;
  if (cs_qresync()) return;   /* cs_change_end reports VANISHED */
  out_printf("* %zu EXPUNGE\r\n", seq);
}

static void updates(void)
{
  size_t added = 0, i, recent = 0;
  if (!S->selected) return;
  cs_change_begin(&S->mb);
  if (!mbox_refresh(&S->mb, &added, gone, 0)) { warn_sys("unable to read the mailbox"); return; }
  if (added) {
    out_printf("* %zu EXISTS\r\n", S->mb.n);
    for (i = 0; i < S->mb.n; i++) recent += (S->mb.m[i].flags & MF_RECENT) != 0;
    out_printf("* %zu RECENT\r\n", recent);
  }
  cs_change_end(&S->mb, 1);
}

/* A mailbox name from the client (modified UTF-7, "." between levels) to
 * its Maildir.  Returns 1, or 0 for a name we refuse. */
static int mailbox_dir(const sa *name, char *out, size_t n)
{
  sa u = SA_ZERO;
  size_t i;
  int r;
  if (name->len == 5 && strncasecmp(name->s, "INBOX", 5) == 0)
    return snprintf(out, n, "%s", S->maildir) < (int)n;
  if (!name->len || name->len > 255 || memchr(name->s, '/', name->len) || name->s[0] == '.' ||
      name->s[name->len - 1] == '.')
    return 0;
  for (i = 0; i + 1 < name->len; i++)
    if (name->s[i] == '.' && name->s[i + 1] == '.') return 0;
  r = imaputf7_decode(name->s, name->len, &u);
  sa_free(&u);
  if (!r) return 0;
  r = snprintf(out, n, "%s/.%.*s", S->maildir, (int)name->len, name->s);
  return r > 0 && (size_t)r < n;
}

static int is_inbox(const sa *name) { return name->len == 5 && strncasecmp(name->s, "INBOX", 5) == 0; }

static void do_select(const char *tag, size_t tl, imap_parser *p, int readonly)
{
  sa name = SA_ZERO;
  char dir[MBOX_PATH_MAX];
  size_t i, recent = 0, unseen = 0;
  cs_select sel = CS_SELECT_ZERO;
  if (!imap_astring(p, &name) || (imap_peek(p) == ' ' && !cs_select_parse(p, &sel)) || !imap_eol(p)) {
    tagged(tag, tl, "BAD %s", p->err ? p->err : "syntax error");
    goto done;
  }
  searchres_reset();
  if (S->selected) {
    mbox_close(&S->mb);
    cs_unselect();
    S->selected = 0;
    out_puts("* OK [CLOSED] previous mailbox closed\r\n");
  }
  if (!mailbox_dir(&name, dir, sizeof dir) || !mbox_open(&S->mb, dir, readonly)) {
    tagged(tag, tl, "NO [NONEXISTENT] no such mailbox");
    goto done;
  }
  S->selected = 1;
  for (i = 0; i < S->mb.n; i++) {
    if (S->mb.m[i].flags & MF_RECENT) recent++;
    if (!unseen && !(S->mb.m[i].flags & MF_SEEN)) unseen = i + 1;
  }
  out_puts("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n");
  out_puts(readonly ? "* OK [PERMANENTFLAGS ()] read-only\r\n"
                    : "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)] ok\r\n");
  out_printf("* %zu EXISTS\r\n* %zu RECENT\r\n", S->mb.n, recent);
  if (unseen) out_printf("* OK [UNSEEN %zu] first unseen\r\n", unseen);
  out_printf("* OK [UIDVALIDITY %u] UIDs valid\r\n* OK [UIDNEXT %u] predicted next UID\r\n",
             (unsigned)S->mb.uidvalidity, (unsigned)S->mb.uidnext);
  cs_select_done(&S->mb, &sel);
  tagged(tag, tl, "OK [%s] %s completed", readonly ? "READ-ONLY" : "READ-WRITE",
         readonly ? "EXAMINE" : "SELECT");
  log_info("%s select mailbox=%.*s messages=%zu", S->id, (int)(name.len > 100 ? 100 : name.len), name.s,
           S->mb.n);
done:
  sa_free(&name);
  sa_free(&sel.known);
}

/* '*' matches anything, '%' anything but the delimiter. */
static int wild(const char *p, size_t pn, const char *s, size_t sn, int budget)
{
  if (budget <= 0) return 0;
  while (pn) {
    if (*p == '*' || *p == '%') {
      size_t k;
      for (k = 0; k <= sn; k++) {
        if (wild(p + 1, pn - 1, s + k, sn - k, budget - 1)) return 1;
        if (k < sn && *p == '%' && s[k] == '.') break;
      }
      return 0;
    }
    if (!sn) return 0;
    if (*p != *s) return 0;
    p++; pn--; s++; sn--;
  }
  return sn == 0;
}

/* The special-use attribute (RFC 6154) of the usual folder names. */
static const char *special_use(const char *name)
{
  static const struct { const char *name, *attr; } su[] = {
    { "Sent", "\\Sent" }, { "Drafts", "\\Drafts" }, { "Trash", "\\Trash" },
    { "Junk", "\\Junk" }, { "Archive", "\\Archive" },
  };
  size_t i;
  for (i = 0; i < sizeof su / sizeof su[0]; i++)
    if (!strcmp(name, su[i].name)) return su[i].attr;
  return 0;
}

/* Subscriptions: MAILDIR/subscriptions, one name per line (as Courier keeps
 * them).  1 if name is listed. */
static int subscribed(const char *name)
{
  char path[MBOX_PATH_MAX + 16], line[512];
  FILE *f;
  int found = 0;
  snprintf(path, sizeof path, "%s/subscriptions", S->maildir);
  if (!(f = fopen(path, "r"))) return 0;
  while (!found && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    found = !strcmp(line, name);
  }
  fclose(f);
  return found;
}

static int set_subscribed(const char *name, int on)
{
  char path[MBOX_PATH_MAX + 16], line[512];
  sa out = SA_ZERO;
  FILE *f;
  int ok;
  snprintf(path, sizeof path, "%s/subscriptions", S->maildir);
  if ((f = fopen(path, "r"))) {
    while (fgets(line, sizeof line, f)) {
      line[strcspn(line, "\n")] = 0;
      if (!line[0] || !strcmp(line, name)) continue;
      if (!sa_cats(&out, line) || !sa_catc(&out, '\n')) { fclose(f); sa_free(&out); return 0; }
    }
    fclose(f);
  }
  if (on && (!sa_cats(&out, name) || !sa_catc(&out, '\n'))) { sa_free(&out); return 0; }
  ok = atomic_write(path, out.s ? out.s : "", out.len, 0600, (uid_t)-1, (gid_t)-1);
  sa_free(&out);
  return ok;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void do_list(const char *tag, size_t tl, imap_parser *p, const char *verb)
{
  sa ref = SA_ZERO, pat = SA_ZERO, full = SA_ZERO;
  DIR *d;
  struct dirent *e;
  char **names = 0;
  size_t nn = 0, cap = 0, i, w = 0;
  int lsub = !strcmp(verb, "LSUB");
  if (!imap_astring(p, &ref) || !imap_sp(p) || !imap_list_mailbox(p, &pat) || !imap_eol(p)) {
    tagged(tag, tl, "BAD %s", p->err);
    goto done;
  }
  if (!pat.len) {
    out_printf("* %s (\\Noselect) \".\" \"\"\r\n", verb);
    tagged(tag, tl, "OK %s completed", verb);
    goto done;
  }
  if (!sa_copyb(&full, ref.s ? ref.s : "", ref.len) || !sa_catb(&full, pat.s, pat.len)) {
    tagged(tag, tl, "NO [LIMIT] pattern too long");
    goto done;
  }
  for (i = 0; i < full.len; i++) w += full.s[i] == '*' || full.s[i] == '%';
  if (w > LIST_WILDCARDS_MAX) { tagged(tag, tl, "NO [LIMIT] too many wildcards"); goto done; }
  if (wild(full.s, full.len, "INBOX", 5, 1000) ||
      (full.len == 5 && strncasecmp(full.s, "INBOX", 5) == 0))
    out_printf("* %s (\\HasNoChildren) \".\" INBOX\r\n", verb);
  if ((d = opendir(S->maildir))) {
    while ((e = readdir(d))) {
      const char *n = e->d_name;
      if (n[0] != '.' || !n[1] || n[1] == '.') continue;
      if (strlen(n + 1) > 255) continue;
      if (nn == cap) {
        char **g = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof *g);
        if (!g) break;
        names = g;
      }
      if (!(names[nn] = strdup(n + 1))) break;
      nn++;
    }
    closedir(d);
  }
  if (nn) qsort(names, nn, sizeof *names, cmp_str);
  for (i = 0; i < nn; i++) {
    const char *su = special_use(names[i]);
    size_t l = strlen(names[i]), k;
    int children = 0;
    for (k = 0; k < nn && !children; k++)
      children = strlen(names[k]) > l && !strncmp(names[k], names[i], l) && names[k][l] == '.';
    if (!wild(full.s, full.len, names[i], l, 1000) || (lsub && !subscribed(names[i]))) continue;
    out_printf("* %s (%s%s%s) \".\" ", verb, children ? "\\HasChildren" : "\\HasNoChildren",
               su ? " " : "", su ? su : "");
    out_string(names[i], l);
    out_puts("\r\n");
  }
  for (i = 0; i < nn; i++) free(names[i]);
  free(names);
  tagged(tag, tl, "OK %s completed", verb);
done:
  sa_free(&ref);
  sa_free(&pat);
  sa_free(&full);
}

static void do_create(const char *tag, size_t tl, imap_parser *p)
{
  sa name = SA_ZERO;
  char dir[MBOX_PATH_MAX], f[MBOX_PATH_MAX + 32];
  int fd;
  if (!imap_astring(p, &name) || !imap_eol(p)) { tagged(tag, tl, "BAD %s", p->err); goto done; }
  while (name.len && name.s[name.len - 1] == '.') name.len--;  /* "a." asks for a parent: same folder */
  if (is_inbox(&name) || !mailbox_dir(&name, dir, sizeof dir)) {
    tagged(tag, tl, "NO [CANNOT] that name is not allowed");
    goto done;
  }
  if (mkdir(dir, 0700) < 0) {
    tagged(tag, tl, errno == EEXIST ? "NO [ALREADYEXISTS] mailbox exists" : "NO [SERVERBUG] cannot create");
    goto done;
  }
  if (!maildir_make(dir)) { tagged(tag, tl, "NO [SERVERBUG] cannot create"); goto done; }
  snprintf(f, sizeof f, "%s/maildirfolder", dir);
  if ((fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0) close(fd);
  tagged(tag, tl, "OK CREATE completed");
  log_info("%s create mailbox=%.*s", S->id, (int)(name.len > 100 ? 100 : name.len), name.s);
done:
  sa_free(&name);
}

static int rm_tree(const char *dir)
{
  static const char *const subs[] = { "cur", "new", "tmp", 0 };
  char path[MBOX_PATH_MAX + 300];
  DIR *d;
  struct dirent *e;
  size_t i;
  for (i = 0; subs[i]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, subs[i]);
    if (!(d = opendir(path))) continue;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      snprintf(path, sizeof path, "%s/%s/%s", dir, subs[i], e->d_name);
      unlink(path);
    }
    closedir(d);
    snprintf(path, sizeof path, "%s/%s", dir, subs[i]);
    if (rmdir(path) < 0) return 0;
  }
  if ((d = opendir(dir))) {
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
    closedir(d);
  }
  return rmdir(dir) == 0;
}

static void do_delete(const char *tag, size_t tl, imap_parser *p)
{
  sa name = SA_ZERO;
  char dir[MBOX_PATH_MAX];
  struct stat st;
  if (!imap_astring(p, &name) || !imap_eol(p)) { tagged(tag, tl, "BAD %s", p->err); goto done; }
  if (is_inbox(&name) || !mailbox_dir(&name, dir, sizeof dir)) {
    tagged(tag, tl, "NO [CANNOT] that mailbox cannot be deleted");
    goto done;
  }
  if (stat(dir, &st) < 0) { tagged(tag, tl, "NO [NONEXISTENT] no such mailbox"); goto done; }
  if (S->selected && !strcmp(S->mb.dir, dir)) { mbox_close(&S->mb); cs_unselect(); S->selected = 0; }
  if (!rm_tree(dir)) { tagged(tag, tl, "NO [SERVERBUG] cannot delete"); goto done; }
  tagged(tag, tl, "OK DELETE completed");
  log_info("%s delete mailbox=%.*s", S->id, (int)(name.len > 100 ? 100 : name.len), name.s);
done:
  sa_free(&name);
}

static void do_subscribe(const char *tag, size_t tl, imap_parser *p, int on)
{
  sa name = SA_ZERO;
  char dir[MBOX_PATH_MAX];
  struct stat st;
  if (!imap_astring(p, &name) || !imap_eol(p) || !sa_0(&name)) { tagged(tag, tl, "BAD %s", p->err); goto done; }
  if (is_inbox(&name)) { tagged(tag, tl, "OK %s completed", on ? "SUBSCRIBE" : "UNSUBSCRIBE"); goto done; }
  if (!mailbox_dir(&name, dir, sizeof dir) || (on && stat(dir, &st) < 0)) {
    tagged(tag, tl, "NO [NONEXISTENT] no such mailbox");
    goto done;
  }
  if (!set_subscribed(name.s, on)) tagged(tag, tl, "NO [SERVERBUG] cannot save the subscriptions");
  else tagged(tag, tl, "OK %s completed", on ? "SUBSCRIBE" : "UNSUBSCRIBE");
done:
  sa_free(&name);
}

static void do_rename(const char *tag, size_t tl, imap_parser *p)
{
  sa from = SA_ZERO, to = SA_ZERO;
  char dfrom[MBOX_PATH_MAX], dto[MBOX_PATH_MAX];
  struct stat st;
  if (!imap_astring(p, &from) || !imap_sp(p) || !imap_astring(p, &to) || !imap_eol(p)) {
    tagged(tag, tl, "BAD %s", p->err);
    goto done;
  }
  if (is_inbox(&from) || is_inbox(&to)) { tagged(tag, tl, "NO [CANNOT] renaming INBOX is not supported"); goto done; }
  if (!mailbox_dir(&from, dfrom, sizeof dfrom) || stat(dfrom, &st) < 0) {
    tagged(tag, tl, "NO [NONEXISTENT] no such mailbox");
    goto done;
  }
  if (!mailbox_dir(&to, dto, sizeof dto)) { tagged(tag, tl, "NO [CANNOT] that name is not allowed"); goto done; }
  if (stat(dto, &st) == 0) { tagged(tag, tl, "NO [ALREADYEXISTS] mailbox exists"); goto done; }
  if (S->selected && !strcmp(S->mb.dir, dfrom)) { mbox_close(&S->mb); cs_unselect(); S->selected = 0; }
  /* the folder keeps its UIDVALIDITY and UIDs: they travel in its files */
  if (rename(dfrom, dto) < 0) { tagged(tag, tl, "NO [SERVERBUG] cannot rename"); goto done; }
  tagged(tag, tl, "OK RENAME completed");
  log_info("%s rename from=%.*s to=%.*s", S->id, (int)(from.len > 100 ? 100 : from.len), from.s,
           (int)(to.len > 100 ? 100 : to.len), to.s);
done:
  sa_free(&from);
  sa_free(&to);
}

static void do_status(const char *tag, size_t tl, imap_parser *p)
{
  sa name = SA_ZERO;
  char dir[MBOX_PATH_MAX];
  mbox mb;
  imap_span item;
  size_t i, unseen = 0, recent = 0, start;
  int first = 1;
  if (!imap_astring(p, &name) || !imap_sp(p) || !imap_char(p, '(')) { tagged(tag, tl, "BAD %s", p->err); goto done; }
  start = p->pos;
  for (;;) {
    if (!imap_atom(p, &item)) { tagged(tag, tl, "BAD %s", p->err); goto done; }
    if (!imap_is(item, "MESSAGES") && !imap_is(item, "RECENT") && !imap_is(item, "UIDNEXT") &&
        !imap_is(item, "UIDVALIDITY") && !imap_is(item, "UNSEEN") && !cs_status_item(item)) {
      tagged(tag, tl, "BAD unknown STATUS item");
      goto done;
    }
    if (imap_peek(p) == ')') break;
    if (!imap_sp(p)) { tagged(tag, tl, "BAD %s", p->err); goto done; }
  }
  p->pos++;
  if (!imap_eol(p)) { tagged(tag, tl, "BAD %s", p->err); goto done; }
  if (!mailbox_dir(&name, dir, sizeof dir) || !mbox_open(&mb, dir, 1)) {
    tagged(tag, tl, "NO [NONEXISTENT] no such mailbox");
    goto done;
  }
  for (i = 0; i < mb.n; i++) {
    if (!(mb.m[i].flags & MF_SEEN)) unseen++;
    if (mb.m[i].flags & MF_RECENT) recent++;
  }
  out_puts("* STATUS ");
  out_string(name.s, name.len);
  out_puts(" (");
  p->pos = start;
  while (imap_atom(p, &item)) {
    if (!first) out_puts(" ");
    first = 0;
    if (imap_is(item, "MESSAGES")) out_printf("MESSAGES %zu", mb.n);
    else if (imap_is(item, "RECENT")) out_printf("RECENT %zu", recent);
    else if (imap_is(item, "UIDNEXT")) out_printf("UIDNEXT %u", (unsigned)mb.uidnext);
    else if (imap_is(item, "UIDVALIDITY")) out_printf("UIDVALIDITY %u", (unsigned)mb.uidvalidity);
    else if (cs_status_item(item)) cs_status_out(&mb);
    else out_printf("UNSEEN %zu", unseen);
    if (!imap_sp(p)) break;
  }
  out_puts(")\r\n");
  mbox_close(&mb);
  tagged(tag, tl, "OK STATUS completed");
done:
  sa_free(&name);
}

static void do_store(const char *tag, size_t tl, imap_parser *p, int uid)
{
  static imap_range ranges[IMAP_SEQSET_MAX];
  imap_seqset set = { ranges, IMAP_SEQSET_MAX, 0, 0 };
  imap_span item, f;
  unsigned flags = 0;
  int mode, silent, paren, failed = 0;
  size_t i;
  cs_store cst = CS_STORE_ZERO;
  static const struct { const char *name; unsigned bit; } fl[] = {
    { "\\Seen", MF_SEEN }, { "\\Answered", MF_ANSWERED }, { "\\Flagged", MF_FLAGGED },
    { "\\Deleted", MF_DELETED }, { "\\Draft", MF_DRAFT },
  };
  if (!imap_seqset_parse(p, &set) || !imap_sp(p)) goto bad;
  if (imap_peek(p) == '(' && !cs_store_parse(p, &cst)) goto bad;
  if (!imap_atom(p, &item) || !imap_sp(p)) goto bad;
  if (set.searchres && !searchres_fill(&S->mb, &set, uid, &p->err)) goto bad;
  mode = item.s[0] == '+' ? 1 : item.s[0] == '-' ? -1 : 0;
  if (mode) { item.s++; item.len--; }
  silent = item.len > 7 && imap_is((imap_span){ item.s + item.len - 7, 7 }, ".SILENT");
  if (silent) item.len -= 7;
  if (!imap_is(item, "FLAGS")) { p->err = "STORE wants FLAGS, +FLAGS or -FLAGS"; goto bad; }
  paren = imap_peek(p) == '(';
  if (paren) p->pos++;
  while (!(paren && imap_peek(p) == ')') && p->pos < p->n) {
    size_t k;
    if (!imap_flag(p, &f)) goto bad;
    for (k = 0; k < sizeof fl / sizeof fl[0]; k++)
      if (imap_is(f, fl[k].name)) flags |= fl[k].bit;
    /* keywords are accepted and not kept yet (PERMANENTFLAGS does not offer \*) */
    if (imap_peek(p) == ' ') p->pos++;
    else break;
  }
  if (paren && !imap_char(p, ')')) goto bad;
  if (!imap_eol(p)) goto bad;
  if (S->mb.readonly) { tagged(tag, tl, "NO [READ-ONLY] mailbox is read-only"); return; }
  if (!uid)
    for (i = 0; i < set.n; i++)
      if (set.r[i].lo > S->mb.n || set.r[i].hi > S->mb.n) { p->err = "no such message"; goto bad; }
  imap_seqset_resolve(&set, uid ? (S->mb.n ? S->mb.m[S->mb.n - 1].uid : 0) : (uint32_t)S->mb.n);
  cs_store_begin(&S->mb, &cst);
  for (i = 0; i < S->mb.n; i++) {
    unsigned nf, old = S->mb.m[i].flags & ~MF_RECENT;
    if (!imap_seqset_has(&set, uid ? S->mb.m[i].uid : (uint32_t)(i + 1))) continue;
    if (!cs_store_allowed(&S->mb, i, &cst, uid ? S->mb.m[i].uid : (uint32_t)(i + 1))) continue;
    nf = mode > 0 ? old | flags : mode < 0 ? old & ~flags : flags;
    if (!mbox_set_flags(&S->mb, i, nf)) { failed = 1; continue; }
    if (!silent || uid || cs_store_reports(&cst)) {
      int with_uid = uid || cs_store_reports(&cst);   /* RFC 7162 3.1: UID and MODSEQ */
      out_printf("* %zu FETCH (", i + 1);
      if (with_uid) out_printf("UID %u", (unsigned)S->mb.m[i].uid);
      if (!silent || uid) { out_puts(with_uid ? " FLAGS " : "FLAGS "); out_flags(&S->mb, i); }
      cs_store_item(&S->mb, i, &cst, nf != old);
      out_puts(")\r\n");
    }
  }
  if (cs_store_end(&S->mb, &cst, tag, tl, failed)) return;
  if (failed) tagged(tag, tl, "NO some flags could not be stored");
  else tagged(tag, tl, "OK STORE completed");
  return;
bad:
  tagged(tag, tl, "BAD %s", p->err ? p->err : "syntax error");
}

/* UID EXPUNGE (RFC 4315): only the \Deleted messages of the set. */
static void do_uid_expunge(const char *tag, size_t tl, imap_parser *p)
{
  static imap_range ranges[IMAP_SEQSET_MAX];
  imap_seqset set = { ranges, IMAP_SEQSET_MAX, 0, 0 };
  size_t i;
  int failed = 0;
  if (!imap_seqset_parse(p, &set) || !imap_eol(p)) { tagged(tag, tl, "BAD %s", p->err); return; }
  if (S->mb.readonly) { tagged(tag, tl, "NO [READ-ONLY] mailbox is read-only"); return; }
  imap_seqset_resolve(&set, S->mb.n ? S->mb.m[S->mb.n - 1].uid : 0);
  cs_change_begin(&S->mb);
  for (i = S->mb.n; i-- > 0;) {
    if (!(S->mb.m[i].flags & MF_DELETED) || !imap_seqset_has(&set, S->mb.m[i].uid)) continue;
    if (mbox_remove(&S->mb, i)) gone(i + 1, 0);
    else failed = 1;
  }
  cs_change_end(&S->mb, 1);
  if (failed) tagged(tag, tl, "NO [SERVERBUG] some messages remain");
  else tagged(tag, tl, "OK %sUID EXPUNGE completed", cs_highest_code(&S->mb));
}

static int parse_flag_list(imap_parser *p, unsigned *flags)
{
  static const struct { const char *name; unsigned bit; } fl[] = {
    { "\\Seen", MF_SEEN }, { "\\Answered", MF_ANSWERED }, { "\\Flagged", MF_FLAGGED },
    { "\\Deleted", MF_DELETED }, { "\\Draft", MF_DRAFT },
  };
  imap_span f;
  size_t k;
  *flags = 0;
  if (!imap_char(p, '(')) return 0;
  while (imap_peek(p) != ')') {
    if (!imap_flag(p, &f)) return 0;
    for (k = 0; k < sizeof fl / sizeof fl[0]; k++)
      if (imap_is(f, fl[k].name)) *flags |= fl[k].bit;
    if (imap_peek(p) == ' ') p->pos++;
    else if (imap_peek(p) != ')') return imap_char(p, ')');
  }
  p->pos++;
  return 1;
}

static void do_append(const char *tag, size_t tl, imap_parser *p)
{
  sa name = SA_ZERO;
  char dir[MBOX_PATH_MAX];
  unsigned flags = 0;
  time_t t = 0;
  imap_span data;
  int lit;
  uint32_t validity, uid;
  struct stat st;
  if (!imap_astring(p, &name) || !imap_sp(p)) goto bad;
  if (imap_peek(p) == '(' && (!parse_flag_list(p, &flags) || !imap_sp(p))) goto bad;
  if (imap_peek(p) == '"' && (!imap_datetime(p, &t) || !imap_sp(p))) goto bad;
  if (!imap_string_raw(p, &data, &lit) || !imap_eol(p)) goto bad;
  if (!lit) { p->err = "the message must be a literal"; goto bad; }
  if (!mailbox_dir(&name, dir, sizeof dir) || stat(dir, &st) < 0) {
    tagged(tag, tl, "NO [TRYCREATE] no such mailbox");
    goto done;
  }
  if (!copy_append(dir, data.s, data.len, flags, t, &validity, &uid)) {
    tagged(tag, tl, "NO [SERVERBUG] cannot store the message");
    goto done;
  }
  updates();
  tagged(tag, tl, "OK [APPENDUID %u %u] APPEND completed", (unsigned)validity, (unsigned)uid);
  log_info("%s append mailbox=%.*s uid=%u octets=%zu", S->id, (int)(name.len > 100 ? 100 : name.len),
           name.s, (unsigned)uid, data.len);
  goto done;
bad:
  tagged(tag, tl, "BAD %s", p->err ? p->err : "syntax error");
done:
  sa_free(&name);
}

/* COPY and MOVE (RFC 6851). */
static void do_copy(const char *tag, size_t tl, imap_parser *p, int uid, int move)
{
  static imap_range ranges[IMAP_SEQSET_MAX];
  imap_seqset set = { ranges, IMAP_SEQSET_MAX, 0, 0 };
  sa name = SA_ZERO, su = SA_ZERO, du = SA_ZERO;
  char dir[MBOX_PATH_MAX];
  size_t *idx = 0, k = 0, i;
  uint32_t validity = 0;
  struct stat st;
  if (!imap_seqset_parse(p, &set) || !imap_sp(p) || !imap_astring(p, &name) || !imap_eol(p) ||
      (set.searchres && !searchres_fill(&S->mb, &set, uid, &p->err))) {
    tagged(tag, tl, "BAD %s", p->err);
    goto done;
  }
  if (!uid)
    for (i = 0; i < set.n; i++)
      if (set.r[i].lo > S->mb.n || set.r[i].hi > S->mb.n) { tagged(tag, tl, "BAD no such message"); goto done; }
  if (move && S->mb.readonly) { tagged(tag, tl, "NO [READ-ONLY] mailbox is read-only"); goto done; }
  if (!mailbox_dir(&name, dir, sizeof dir) || stat(dir, &st) < 0) {
    tagged(tag, tl, "NO [TRYCREATE] no such mailbox");
    goto done;
  }
  imap_seqset_resolve(&set, uid ? (S->mb.n ? S->mb.m[S->mb.n - 1].uid : 0) : (uint32_t)S->mb.n);
  if (!(idx = calloc(S->mb.n ? S->mb.n : 1, sizeof *idx))) { tagged(tag, tl, "NO [SERVERBUG] out of memory"); goto done; }
  for (i = 0; i < S->mb.n; i++)
    if (imap_seqset_has(&set, uid ? S->mb.m[i].uid : (uint32_t)(i + 1))) idx[k++] = i;
  if (!k) { tagged(tag, tl, "OK %s completed, nothing to do", move ? "MOVE" : "COPY"); goto done; }
  if (!copy_messages(&S->mb, idx, k, dir, &validity, &su, &du)) {
    tagged(tag, tl, "NO [SERVERBUG] cannot copy");
    goto done;
  }
  if (move) {
    out_printf("* OK [COPYUID %u %.*s %.*s] moved\r\n", (unsigned)validity, (int)su.len, su.s, (int)du.len, du.s);
    cs_change_begin(&S->mb);
    for (i = k; i-- > 0;)
      if (mbox_remove(&S->mb, idx[i])) gone(idx[i] + 1, 0);
    cs_change_end(&S->mb, 1);
    tagged(tag, tl, "OK %sMOVE completed", cs_highest_code(&S->mb));
  } else {
    tagged(tag, tl, "OK [COPYUID %u %.*s %.*s] COPY completed", (unsigned)validity, (int)su.len, su.s,
           (int)du.len, du.s);
  }
  log_info("%s %s mailbox=%.*s messages=%zu", S->id, move ? "move" : "copy",
           (int)(name.len > 100 ? 100 : name.len), name.s, k);
done:
  free(idx);
  sa_free(&name);
  sa_free(&su);
  sa_free(&du);
}

/* IDLE (RFC 2177): new mail and expunges are reported as they happen
 * (inotify on cur/ and new/), until the client sends DONE. */
static void do_idle(const char *tag, size_t tl, linebuf *lb)
{
  char path[MBOX_PATH_MAX + 8], ev[4096];
  const char *line;
  size_t n;
  int ifd = -1, waited = 0;
  if (S->selected && (ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) >= 0) {
    static const char *const subs[] = { "new", "cur" };
    size_t i;
    for (i = 0; i < 2; i++) {
      snprintf(path, sizeof path, "%s/%s", S->mb.dir, subs[i]);
      if (inotify_add_watch(ifd, path, IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0)
        warn_sys("unable to watch %s", path);
    }
  }
  out_puts("+ idling\r\n");
  out_flush();
  for (;;) {
    struct pollfd pf[2] = { { 0, POLLIN, 0 }, { ifd, POLLIN, 0 } };
    int r;
    if (!lb_pending(lb)) {
      r = poll(pf, ifd >= 0 ? 2 : 1, 60000);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) {
        if ((waited += 60000) >= S->timeout_ms) {
          out_puts("* BYE autologout\r\n");
          out_flush();
          log_info("%s dropped reason=timeout", S->id);
          exit(0);
        }
        continue;
      }
      if (ifd >= 0 && (pf[1].revents & POLLIN)) {
        while (read(ifd, ev, sizeof ev) > 0) {}
        updates();
        out_flush();
      }
      if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    }
    r = lb_getline(lb, &line, &n);
    if (r <= 0) { log_info("%s dropped", S->id); exit(0); }
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
    if (ifd >= 0) close(ifd);
    if (n == 4 && strncasecmp(line, "DONE", 4) == 0) tagged(tag, tl, "OK IDLE terminated");
    else tagged(tag, tl, "BAD expected DONE");
    return;
  }
}

static int read_command(linebuf *lb, size_t *len)
{
  const char *line;
  size_t n;
  int r;
  cmd.len = 0;
  for (;;) {
    uint64_t lit;
    int nonsync, m;
    r = lb_getline(lb, &line, &n);
    if (r < 0 && errno == ERANGE) return -2;
    if (r <= 0) return r;
    if (n && line[n - 1] == '\n') n--;
    if (n && line[n - 1] == '\r') n--;
    if (!sa_catb(&cmd, line, n)) return -2;
    m = imap_literal_at_end(line, n, &lit, &nonsync);
    if (m <= 0) break;
    if (lit > IMAP_MESSAGE_MAX || cmd.len + lit + 2 > cmd.cap) {
      if (nonsync) return -2;
      out_puts("* BAD literal too big\r\n");  /* the client gets the tagged BAD after the line */
      return -3;
    }
    if (!nonsync) { out_puts("+ go ahead\r\n"); out_flush(); }
    if (!sa_catb(&cmd, "\r\n", 2) || !sa_ready(&cmd, cmd.len + (size_t)lit)) return -2;
    while (lit) {
      ssize_t got = lb_read(lb, cmd.s + cmd.len, (size_t)lit);
      if (got <= 0) return got < 0 ? -1 : 0;
      cmd.len += (size_t)got;
      lit -= (uint64_t)got;
    }
  }
  *len = cmd.len;
  return 1;
}

/* A new account gets the usual folders (RFC 6154 names), once: the file
 * MAILDIR/yubin-imap.folders records that it was done, so a folder the user
 * deletes stays deleted. */
static void default_folders(void)
{
  static const char *const names[] = { "Sent", "Drafts", "Trash", "Junk", "Archive", 0 };
  char path[MBOX_PATH_MAX + 32];
  size_t i;
  int fd;
  snprintf(path, sizeof path, "%s/yubin-imap.folders", S->maildir);
  if (access(path, F_OK) == 0) return;
  for (i = 0; names[i]; i++) {
    char dir[MBOX_PATH_MAX + 32], f[MBOX_PATH_MAX + 64];
    snprintf(dir, sizeof dir, "%s/.%s", S->maildir, names[i]);
    if (access(dir, F_OK) == 0) continue;
    if (!maildir_make(dir)) { warn_sys("unable to create %s", dir); return; }
    snprintf(f, sizeof f, "%s/maildirfolder", dir);
    if ((fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0) close(fd);
    if (!subscribed(names[i]) && !set_subscribed(names[i], 1)) warn_sys("unable to subscribe %s", names[i]);
  }
  if (!atomic_write(path, "", 0, 0600, (uid_t)-1, (gid_t)-1)) warn_sys("unable to write %s", path);
}

int session_run(session *s)
{
  static char lbuf[IMAP_LINE_MAX];
  static linebuf lb;
  size_t len;
  int bad = 0;
  S = s;
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
  default_folders();
  lb_init(&lb, 0, lbuf, sizeof lbuf, s->timeout_ms);
  if (s->npending && s->npending <= sizeof lbuf) {
    memcpy(lbuf, s->pending, s->npending);
    lb.end = s->npending;
  }
  if (s->greeting) { out_puts("* PREAUTH yubin IMAP ready\r\n"); out_flush(); }
  for (;;) {
    imap_parser p;
    imap_span tag, verb;
    int uid = 0, r = read_command(&lb, &len);
    if (r == 0) { log_info("%s dropped", s->id); return 0; }
    if (r == -1) {
      if (errno == ETIMEDOUT) { out_puts("* BYE autologout\r\n"); out_flush(); }
      log_info("%s dropped reason=%s", s->id, errno == ETIMEDOUT ? "timeout" : "read-error");
      return 0;
    }
    if (r == -2) {
      out_puts("* BYE command too long\r\n");
      out_flush();
      log_info("%s closed reason=too-long", s->id);
      return 0;
    }
    imap_parser_init(&p, cmd.s, cmd.len);
    if (!imap_tag(&p, &tag)) { out_puts("* BAD no tag\r\n"); out_flush(); if (++bad > 20) return 0; continue; }
    if (r == -3) { tagged(tag.s, tag.len, "BAD [TOOBIG] literal too big"); continue; }
    if (!imap_sp(&p) || !imap_atom(&p, &verb)) { tagged(tag.s, tag.len, "BAD no command"); continue; }
    if (imap_is(verb, "UID")) {
      uid = 1;
      if (!imap_sp(&p) || !imap_atom(&p, &verb)) { tagged(tag.s, tag.len, "BAD UID what?"); continue; }
    }
    if (imap_is(verb, "NOOP") || imap_is(verb, "CHECK")) {
      if (!imap_eol(&p)) { tagged(tag.s, tag.len, "BAD %s", p.err); continue; }
      updates();
      tagged(tag.s, tag.len, "OK %s completed", imap_is(verb, "NOOP") ? "NOOP" : "CHECK");
    } else if (imap_is(verb, "CAPABILITY")) {
      out_puts("* CAPABILITY " SESSION_CAPABILITIES "\r\n");
      tagged(tag.s, tag.len, "OK CAPABILITY completed");
    } else if (imap_is(verb, "LOGOUT")) {
      out_puts("* BYE logging out\r\n");
      tagged(tag.s, tag.len, "OK LOGOUT completed");
      log_info("%s logout", s->id);
      return 0;
    } else if (imap_is(verb, "IDLE") && !uid) {
      if (!imap_eol(&p)) { tagged(tag.s, tag.len, "BAD %s", p.err); continue; }
      do_idle(tag.s, tag.len, &lb);
    } else if (imap_is(verb, "NAMESPACE")) {
      out_puts("* NAMESPACE ((\"\" \".\")) NIL NIL\r\n");
      tagged(tag.s, tag.len, "OK NAMESPACE completed");
    } else if (imap_is(verb, "ID")) {
      out_puts("* ID (\"name\" \"yubin\")\r\n");
      tagged(tag.s, tag.len, "OK ID completed");
    } else if (imap_is(verb, "SELECT") && !uid && imap_sp(&p)) {
      do_select(tag.s, tag.len, &p, 0);
    } else if (imap_is(verb, "EXAMINE") && !uid && imap_sp(&p)) {
      do_select(tag.s, tag.len, &p, 1);
    } else if ((imap_is(verb, "LIST") || imap_is(verb, "LSUB")) && !uid && imap_sp(&p)) {
      do_list(tag.s, tag.len, &p, imap_is(verb, "LIST") ? "LIST" : "LSUB");
    } else if (imap_is(verb, "CREATE") && !uid && imap_sp(&p)) {
      do_create(tag.s, tag.len, &p);
    } else if (imap_is(verb, "DELETE") && !uid && imap_sp(&p)) {
      do_delete(tag.s, tag.len, &p);
    } else if ((imap_is(verb, "SUBSCRIBE") || imap_is(verb, "UNSUBSCRIBE")) && !uid && imap_sp(&p)) {
      do_subscribe(tag.s, tag.len, &p, imap_is(verb, "SUBSCRIBE"));
    } else if (imap_is(verb, "RENAME") && !uid && imap_sp(&p)) {
      do_rename(tag.s, tag.len, &p);
    } else if (imap_is(verb, "ENABLE") && !uid) {
      if (!cs_enable_command(&p, s->selected ? &s->mb : 0)) { tagged(tag.s, tag.len, "BAD %s", p.err ? p.err : "syntax error"); continue; }
      tagged(tag.s, tag.len, "OK ENABLE completed");
    } else if (imap_is(verb, "APPEND") && !uid && imap_sp(&p)) {
      do_append(tag.s, tag.len, &p);
    } else if (imap_is(verb, "STATUS") && !uid && imap_sp(&p)) {
      do_status(tag.s, tag.len, &p);
    } else if (!s->selected && (imap_is(verb, "FETCH") || imap_is(verb, "STORE") || imap_is(verb, "EXPUNGE") || imap_is(verb, "COPY") || imap_is(verb, "SEARCH") || imap_is(verb, "MOVE") ||
                                imap_is(verb, "SORT") || imap_is(verb, "THREAD") ||
                                imap_is(verb, "CLOSE") || imap_is(verb, "UNSELECT"))) {
      tagged(tag.s, tag.len, "BAD select a mailbox first");
    } else if (imap_is(verb, "FETCH") && imap_sp(&p)) {
      int fr = cs_fetch_prepare(&s->mb, &p, uid) ? fetch_command(&s->mb, &p, uid) : 0;
      cs_done(&s->mb);
      if (fr == 0) tagged(tag.s, tag.len, "BAD %s", p.err);
      else if (fr < 0) tagged(tag.s, tag.len, "NO [SERVERBUG] some messages could not be read");
      else tagged(tag.s, tag.len, "OK FETCH completed");
    } else if ((imap_is(verb, "COPY") || imap_is(verb, "MOVE")) && imap_sp(&p)) {
      do_copy(tag.s, tag.len, &p, uid, imap_is(verb, "MOVE"));
    } else if (imap_is(verb, "SEARCH") && imap_sp(&p)) {
      int sr = search_command(&s->mb, &p, uid, tag.s, tag.len);
      cs_done(&s->mb);
      if (sr == 0) tagged(tag.s, tag.len, "BAD %s", p.err);
      else if (sr == -2) tagged(tag.s, tag.len, "NO %s", p.err);
      else if (sr < 0) tagged(tag.s, tag.len, "NO [SERVERBUG] some messages could not be read");
      else tagged(tag.s, tag.len, "OK SEARCH completed");
    } else if ((imap_is(verb, "SORT") || imap_is(verb, "THREAD")) && imap_sp(&p)) {
      int sort = imap_is(verb, "SORT");
      int sr = sort ? sort_command(&s->mb, &p, uid, tag.s, tag.len) : thread_command(&s->mb, &p, uid);
      cs_done(&s->mb);
      if (sr == 0) tagged(tag.s, tag.len, "BAD %s", p.err ? p.err : "syntax error");
      else if (sr == -2) tagged(tag.s, tag.len, "NO %s", p.err);
      else if (sr < 0) tagged(tag.s, tag.len, "NO [SERVERBUG] some messages could not be read");
      else tagged(tag.s, tag.len, "OK %s completed", sort ? "SORT" : "THREAD");
    } else if (imap_is(verb, "STORE") && imap_sp(&p)) {
      do_store(tag.s, tag.len, &p, uid);
    } else if (imap_is(verb, "EXPUNGE") && !uid) {
      int ok;
      if (!imap_eol(&p)) { tagged(tag.s, tag.len, "BAD %s", p.err); continue; }
      if (s->mb.readonly) { tagged(tag.s, tag.len, "NO [READ-ONLY] mailbox is read-only"); continue; }
      cs_change_begin(&s->mb);
      ok = mbox_expunge(&s->mb, gone, 0);
      cs_change_end(&s->mb, 1);
      if (!ok) tagged(tag.s, tag.len, "NO [SERVERBUG] some messages remain");
      else tagged(tag.s, tag.len, "OK %sEXPUNGE completed", cs_highest_code(&s->mb));
    } else if (imap_is(verb, "EXPUNGE") && uid && imap_sp(&p)) {
      do_uid_expunge(tag.s, tag.len, &p);
    } else if ((imap_is(verb, "CLOSE") || imap_is(verb, "UNSELECT")) && !uid) {
      if (!imap_eol(&p)) { tagged(tag.s, tag.len, "BAD %s", p.err); continue; }
      if (imap_is(verb, "CLOSE") && !s->mb.readonly) {
        cs_change_begin(&s->mb);
        (void)mbox_expunge(&s->mb, 0, 0);
        cs_change_end(&s->mb, 0);   /* CLOSE reports nothing; the expunges get their mod-sequence */
      }
      mbox_close(&s->mb);
      cs_unselect();
      s->selected = 0;
      searchres_reset();
      tagged(tag.s, tag.len, "OK %s completed", imap_is(verb, "CLOSE") ? "CLOSE" : "UNSELECT");
    } else if (imap_is(verb, "LOGIN") || imap_is(verb, "AUTHENTICATE")) {
      tagged(tag.s, tag.len, "BAD already logged in");
    } else {
      tagged(tag.s, tag.len, "BAD unknown command");
      if (++bad > 20) { out_puts("* BYE too many bad commands\r\n"); out_flush(); return 0; }
    }
  }
}
