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
#include "flagwatch.h"
#include "folders.h"
#include "keywords.h"
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

/* ---- keywords ------------------------------------------------------------ */

static kwmap selkw;   /* the keyword names of the selected mailbox */

#define KW_ARGS_MAX (2 * KW_MAX)   /* keywords in one command */
#define SYSTEM_FLAGS "\\Answered \\Flagged \\Deleted \\Seen \\Draft"

/* FLAGS and PERMANENTFLAGS of the selected mailbox: the system flags and
 * its keywords; "\*" while it has room for more. */
static void out_mailbox_flags(void)
{
  int i;
  out_puts("* FLAGS (" SYSTEM_FLAGS);
  for (i = 0; i < KW_MAX; i++)
    if (selkw.name[i]) { out_puts(" "); out_puts(selkw.name[i]); }
  out_puts(")\r\n");
  if (S->mb.readonly) { out_puts("* OK [PERMANENTFLAGS ()] read-only\r\n"); return; }
  out_puts("* OK [PERMANENTFLAGS (" SYSTEM_FLAGS);
  for (i = 0; i < KW_MAX; i++)
    if (selkw.name[i]) { out_puts(" "); out_puts(selkw.name[i]); }
  out_puts(kw_named(&selkw) == ((uint32_t)1 << KW_MAX) - 1 ? ")] flags\r\n" : " \\*)] flags\r\n");
}

/* Letters on the selected mailbox's messages that have no name. */
static uint32_t unnamed_letters(void)
{
  uint32_t all = 0;
  size_t i;
  for (i = 0; i < S->mb.n; i++) all |= mbox_keywords(&S->mb, i);
  return all & ~kw_named(&selkw);
}

/* Another session or an APPEND may have named new keywords: read them and
 * tell the client (untagged FLAGS). */
static void keyword_updates(void)
{
  kwmap k = { 0 };
  if (!S->selected || !kw_stale(&selkw, S->mb.dir)) return;
  if (!kw_load(&k, S->mb.dir)) { warn_sys("unable to read the keywords of %s", S->mb.dir); return; }
  if (kw_same(&k, &selkw)) { kw_free(&selkw); selkw = k; return; }
  kw_free(&selkw);
  selkw = k;
  out_mailbox_flags();
}

/* Flags as a STORE or APPEND gives them: system flags as bits, keywords
 * into kws (at most KW_ARGS_MAX, the same name once).  With paren the list
 * must be in parentheses, else they are optional (STORE).  Returns 1, 0 for
 * BAD (p->err), -1 for too many keywords. */
static int parse_flags(imap_parser *p, int paren, unsigned *flags, kw_name *kws, size_t *nk)
{
  static const struct { const char *name; unsigned bit; } fl[] = {
    { "\\Seen", MF_SEEN }, { "\\Answered", MF_ANSWERED }, { "\\Flagged", MF_FLAGGED },
    { "\\Deleted", MF_DELETED }, { "\\Draft", MF_DRAFT },
  };
  imap_span f;
  size_t k;
  int many = 0;
  *flags = 0;
  *nk = 0;
  if (imap_peek(p) == '(') { p->pos++; paren = 1; }
  else if (paren) return imap_char(p, '(');
  while (!(paren && imap_peek(p) == ')') && p->pos < p->n) {
    if (!imap_flag(p, &f)) return 0;
    if (f.s[0] == '\\') {
      for (k = 0; k < sizeof fl / sizeof fl[0]; k++)
        if (imap_is(f, fl[k].name)) *flags |= fl[k].bit;
    } else if (!kw_valid(f.s, f.len)) {
      p->err = "keyword too long";
      return 0;
    } else {
      for (k = 0; k < *nk; k++)
        if (kws[k].len == f.len && !strncasecmp(kws[k].s, f.s, f.len)) break;
      if (k == *nk) {
        if (*nk < KW_ARGS_MAX) kws[(*nk)++] = (kw_name){ f.s, f.len };
        else many = 1;
      }
    }
    if (imap_peek(p) == ' ') p->pos++;
    else break;
  }
  if (paren && !imap_char(p, ')')) return 0;
  return many ? -1 : 1;
}

static void updates(void)
{
  size_t added = 0, i, recent = 0;
  if (!S->selected) return;
  keyword_updates();
  cs_change_begin(&S->mb);
  (void)flagwatch_begin(&S->mb);
  if (!mbox_refresh(&S->mb, &added, gone, 0)) {
    struct stat st;
    char cur[MBOX_PATH_MAX + 8];
    snprintf(cur, sizeof cur, "%s/cur", S->mb.dir);
    if (stat(cur, &st) < 0 && errno == ENOENT) {
      /* deleted or renamed by another session: nothing left to show (as Dovecot does) */
      out_puts("* BYE the selected mailbox was deleted or renamed\r\n");
      out_flush();
      log_info("%s closed reason=mailbox-gone", S->id);
      exit(0);
    }
    warn_sys("unable to read the mailbox");
    return;
  }
  if (!cs_condstore()) flagwatch_end(&S->mb);   /* else cs_change_end tells them, with MODSEQ */
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
  if (!kw_load(&selkw, dir)) warn_sys("unable to read the keywords of %s", dir);
  S->mb.kw = &selkw;
  for (i = 0; i < S->mb.n; i++) {
    if (S->mb.m[i].flags & MF_RECENT) recent++;
    if (!unseen && !(S->mb.m[i].flags & MF_SEEN)) unseen = i + 1;
  }
  out_mailbox_flags();
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

/* STATUS items, in the order asked. */
enum { ST_MESSAGES, ST_RECENT, ST_UIDNEXT, ST_UIDVALIDITY, ST_UNSEEN, ST_HIGHESTMODSEQ };
#define STATUS_ITEMS_MAX 16

/* "(" item *(SP item) ")": 1, or 0 with p->err. */
static int parse_status_items(imap_parser *p, int *items, size_t *n)
{
  static const char *const names[] = { "MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "HIGHESTMODSEQ", 0 };
  imap_span item;
  size_t k;
  *n = 0;
  if (!imap_char(p, '(')) return 0;
  for (;;) {
    if (!imap_atom(p, &item)) return 0;
    for (k = 0; names[k] && !imap_is(item, names[k]); k++) {}
    if (!names[k]) { p->err = "unknown STATUS item"; return 0; }
    if (*n < STATUS_ITEMS_MAX) items[(*n)++] = (int)k;
    if (imap_peek(p) == ')') break;
    if (!imap_sp(p)) return 0;
  }
  p->pos++;
  return 1;
}

/* dir: the folder, for HIGHESTMODSEQ (condstore.h). */
static void out_status(const char *name, size_t nl, const char *dir, const folder_status *st, const int *items,
                       size_t n)
{
  size_t i;
  out_puts("* STATUS ");
  out_string(name, nl);
  out_puts(" (");
  for (i = 0; i < n; i++) {
    if (i) out_puts(" ");
    switch (items[i]) {
    case ST_MESSAGES: out_printf("MESSAGES %zu", st->messages); break;
    case ST_RECENT: out_printf("RECENT %zu", st->recent); break;
    case ST_UIDNEXT: out_printf("UIDNEXT %u", (unsigned)st->uidnext); break;
    case ST_UIDVALIDITY: out_printf("UIDVALIDITY %u", (unsigned)st->uidvalidity); break;
    case ST_HIGHESTMODSEQ: out_printf("HIGHESTMODSEQ %llu", (unsigned long long)cs_highest_of(dir)); break;
    default: out_printf("UNSEEN %zu", st->unseen); break;
    }
  }
  out_puts(")\r\n");
}

#define LIST_PATTERNS_MAX 16

/* LIST options (RFC 5258, RFC 6154, RFC 5819). */
enum {
  LS_SUBSCRIBED = 1, LS_REMOTE = 2, LS_RECURSIVE = 4, LS_SPECIALUSE = 8,   /* selection */
  LR_SUBSCRIBED = 16, LR_CHILDREN = 32, LR_SPECIALUSE = 64, LR_STATUS = 128 /* return */
};

/* "(" [opt *(SP opt)] ")" of the selection (ret 0) or return options. */
static int parse_list_opts(imap_parser *p, int ret, unsigned *opts, int *items, size_t *nitems)
{
  imap_span o;
  if (!imap_char(p, '(')) return 0;
  while (imap_peek(p) != ')') {
    if (!imap_atom(p, &o)) return 0;
    if (!ret && imap_is(o, "SUBSCRIBED")) *opts |= LS_SUBSCRIBED;
    else if (!ret && imap_is(o, "REMOTE")) *opts |= LS_REMOTE;
    else if (!ret && imap_is(o, "RECURSIVEMATCH")) *opts |= LS_RECURSIVE;
    else if (!ret && imap_is(o, "SPECIAL-USE")) *opts |= LS_SPECIALUSE;
    else if (ret && imap_is(o, "SUBSCRIBED")) *opts |= LR_SUBSCRIBED;
    else if (ret && imap_is(o, "CHILDREN")) *opts |= LR_CHILDREN;
    else if (ret && imap_is(o, "SPECIAL-USE")) *opts |= LR_SPECIALUSE;
    else if (ret && imap_is(o, "STATUS")) {
      *opts |= LR_STATUS;
      if (!imap_sp(p) || !parse_status_items(p, items, nitems)) return 0;
    } else {
      p->err = ret ? "unknown LIST return option" : "unknown LIST selection option";
      return 0;
    }
    if (imap_peek(p) == ' ') p->pos++;
    else if (imap_peek(p) != ')') return imap_char(p, ')');
  }
  p->pos++;
  return 1;
}

/* LIST, with LIST-EXTENDED (RFC 5258), SPECIAL-USE (RFC 6154) and
 * LIST-STATUS (RFC 5819), and LSUB. */
static void do_list(const char *tag, size_t tl, imap_parser *p, const char *verb)
{
  sa ref = SA_ZERO, pats[LIST_PATTERNS_MAX];
  folder_list fl = { 0 };
  size_t np = 0, i, k, nitems = 0;
  int items[STATUS_ITEMS_MAX];
  unsigned opts = 0;
  int lsub = !strcmp(verb, "LSUB"), ext = 0;
  for (i = 0; i < LIST_PATTERNS_MAX; i++) pats[i] = (sa)SA_ZERO;
  if (!lsub && imap_peek(p) == '(') {
    ext = 1;
    if (!parse_list_opts(p, 0, &opts, items, &nitems) || !imap_sp(p)) goto bad;
  }
  if (!imap_astring(p, &ref) || !imap_sp(p)) goto bad;
  if (!lsub && imap_peek(p) == '(') {
    ext = 1;
    p->pos++;
    for (;;) {
      if (np == LIST_PATTERNS_MAX) { p->err = "too many patterns"; goto bad; }
      if (!imap_list_mailbox(p, &pats[np++])) goto bad;
      if (imap_peek(p) == ')') break;
      if (!imap_sp(p)) goto bad;
    }
    p->pos++;
  } else if (!imap_list_mailbox(p, &pats[np++])) {
    goto bad;
  }
  if (!lsub && imap_peek(p) == ' ') {
    imap_span r;
    ext = 1;
    p->pos++;
    if (!imap_atom(p, &r) || !imap_is(r, "RETURN") || !imap_sp(p)) { p->err = "RETURN expected"; goto bad; }
    if (!parse_list_opts(p, 1, &opts, items, &nitems)) goto bad;
  }
  if (!imap_eol(p)) goto bad;
  if ((opts & LS_RECURSIVE) && !(opts & (LS_SUBSCRIBED | LS_SPECIALUSE))) {
    p->err = "RECURSIVEMATCH needs another selection option";
    goto bad;
  }
  if (np == 1 && !pats[0].len && !(opts & (LS_SUBSCRIBED | LS_SPECIALUSE))) {
    out_printf("* %s (\\Noselect) \".\" \"\"\r\n", verb);
    tagged(tag, tl, "OK %s completed", verb);
    goto done;
  }
  if (!folder_list_build(&fl, S->maildir)) { tagged(tag, tl, "NO [SERVERBUG] cannot list the folders"); goto done; }
  for (k = 0; k < np; k++) {
    size_t w = 0, j;
    for (j = 0; j < pats[k].len; j++) w += pats[k].s[j] == '*' || pats[k].s[j] == '%';
    if (w > LIST_WILDCARDS_MAX) { tagged(tag, tl, "NO [LIMIT] too many wildcards"); goto done; }
  }
  {
    folder_pattern fp[LIST_PATTERNS_MAX];
    for (k = 0; k < np; k++) fp[k] = (folder_pattern){ pats[k].s ? pats[k].s : "", pats[k].len };
    if (!folder_list_match(&fl, ref.s ? ref.s : "", ref.len, fp, np)) {
      tagged(tag, tl, "NO [LIMIT] pattern too long");
      goto done;
    }
  }
  for (i = 0; i < fl.n; i++) {
    const folder_entry *e = &fl.e[i];
    size_t l = strlen(e->name);
    char su[32];
    int has_su, childinfo = 0, first = 1;
    if (!e->matched) continue;
    has_su = e->exists && folder_special_use(S->maildir, e->name, su, sizeof su);
    if (lsub) {
      /* subscribed names; an unsubscribed level above one the pattern misses, as \Noselect */
      if (!e->subscribed && !e->childinfo) continue;
    } else if (opts & LS_SUBSCRIBED) {
      childinfo = (opts & LS_RECURSIVE) && e->childinfo;
      if (!e->subscribed && !childinfo) continue;
    } else if (opts & LS_SPECIALUSE) {
      if (!has_su) continue;
    } else if (!e->exists && !e->children) {
      continue;     /* only a subscription */
    }
    out_printf("* %s (", verb);
#define ATTR(a) do { out_puts(first ? "" : " "); out_puts(a); first = 0; } while (0)
    if (!e->exists) ATTR(ext ? "\\NonExistent" : "\\Noselect");
    else if (lsub && !e->subscribed) ATTR("\\Noselect");
    if (!lsub && e->subscribed && (opts & (LS_SUBSCRIBED | LR_SUBSCRIBED))) ATTR("\\Subscribed");
    ATTR(e->children ? "\\HasChildren" : "\\HasNoChildren");
    if (has_su) ATTR(su);
#undef ATTR
    out_puts(") \".\" ");
    if (!strcmp(e->name, "INBOX")) out_puts("INBOX");
    else out_string(e->name, l);
    if (childinfo) out_puts(" (\"CHILDINFO\" (\"SUBSCRIBED\"))");
    out_puts("\r\n");
    if ((opts & LR_STATUS) && e->exists) {
      char dir[MBOX_PATH_MAX];
      folder_status st;
      sa nm = SA_ZERO;
      if (sa_copys(&nm, e->name) && mailbox_dir(&nm, dir, sizeof dir) && folder_status_get(dir, &st))
        out_status(e->name, l, dir, &st, items, nitems);
      sa_free(&nm);
    }
  }
  tagged(tag, tl, "OK %s completed", verb);
  goto done;
bad:
  tagged(tag, tl, "BAD %s", p->err ? p->err : "syntax error");
done:
  folder_list_free(&fl);
  sa_free(&ref);
  for (i = 0; i < LIST_PATTERNS_MAX; i++) sa_free(&pats[i]);
}

static void do_create(const char *tag, size_t tl, imap_parser *p)
{
  sa name = SA_ZERO;
  char dir[MBOX_PATH_MAX], f[MBOX_PATH_MAX + 32];
  int fd;
  const char *use = 0;
  if (!imap_astring(p, &name)) { tagged(tag, tl, "BAD %s", p->err); goto done; }
  if (imap_peek(p) == ' ') {
    /* CREATE-SPECIAL-USE (RFC 6154): SP "(" "USE" SP "(" attr *(SP attr) ")" ")" */
    imap_span w;
    if (!imap_sp(p) || !imap_char(p, '(') || !imap_atom(p, &w) || !imap_is(w, "USE") || !imap_sp(p) ||
        !imap_char(p, '(')) {
      tagged(tag, tl, "BAD %s", p->err ? p->err : "USE expected");
      goto done;
    }
    while (imap_peek(p) != ')') {
      imap_span f;
      const char *k;
      if (!imap_flag(p, &f)) { tagged(tag, tl, "BAD %s", p->err); goto done; }
      if (!(k = folder_special_use_known(f.s, f.len))) {
        tagged(tag, tl, "NO [USEATTR] unknown special-use attribute");
        goto done;
      }
      if (use && strcmp(use, k)) { tagged(tag, tl, "NO [USEATTR] one special use per mailbox"); goto done; }
      use = k;
      if (imap_peek(p) == ' ') p->pos++;
      else if (imap_peek(p) != ')') { tagged(tag, tl, "BAD ) expected"); goto done; }
    }
    p->pos++;
    if (!imap_char(p, ')')) { tagged(tag, tl, "BAD %s", p->err); goto done; }
  }
  if (!imap_eol(p)) { tagged(tag, tl, "BAD %s", p->err); goto done; }
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
  if (use && !folder_special_use_set(dir, use)) { tagged(tag, tl, "NO [SERVERBUG] cannot set the special use"); goto done; }
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
  size_t fl;
  if (!imap_astring(p, &from) || !imap_sp(p) || !imap_astring(p, &to) || !imap_eol(p) || !sa_0(&from) ||
      !sa_0(&to)) {
    tagged(tag, tl, "BAD %s", p->err ? p->err : "syntax error");
    goto done;
  }
  if (is_inbox(&to)) { tagged(tag, tl, "NO [ALREADYEXISTS] INBOX exists"); goto done; }
  if (!mailbox_dir(&to, dto, sizeof dto)) { tagged(tag, tl, "NO [CANNOT] that name is not allowed"); goto done; }
  if (is_inbox(&from)) {
    /* RFC 3501 6.3.5: INBOX's messages move to the new folder; INBOX stays, empty */
    if (!folder_rename_inbox(S->maildir, to.s)) {
      tagged(tag, tl, errno == EEXIST ? "NO [ALREADYEXISTS] mailbox exists" : "NO [SERVERBUG] cannot rename");
      goto done;
    }
    updates();
  } else {
    if (!mailbox_dir(&from, dfrom, sizeof dfrom) || stat(dfrom, &st) < 0) {
      tagged(tag, tl, "NO [NONEXISTENT] no such mailbox");
      goto done;
    }
    if (!folder_rename(S->maildir, from.s, to.s)) {
      tagged(tag, tl, errno == EEXIST   ? "NO [ALREADYEXISTS] mailbox exists"
                      : errno == ENOENT ? "NO [NONEXISTENT] no such mailbox"
                      : errno == EINVAL ? "NO [CANNOT] cannot rename a mailbox into itself"
                                        : "NO [SERVERBUG] cannot rename");
      goto done;
    }
    /* the selected mailbox (or one inside the renamed one) moved: follow it */
    fl = strlen(dfrom);
    if (S->selected && !strncmp(S->mb.dir, dfrom, fl) && (!S->mb.dir[fl] || S->mb.dir[fl] == '.')) {
      char nd[MBOX_PATH_MAX];
      if (snprintf(nd, sizeof nd, "%s%s", dto, S->mb.dir + fl) < (int)sizeof nd) memcpy(S->mb.dir, nd, sizeof nd);
      else { mbox_close(&S->mb); cs_unselect(); S->selected = 0; }
    }
  }
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
  folder_status st;
  int items[STATUS_ITEMS_MAX];
  size_t n;
  struct stat sb;
  if (!imap_astring(p, &name) || !imap_sp(p) || !parse_status_items(p, items, &n) || !imap_eol(p)) {
    tagged(tag, tl, "BAD %s", p->err ? p->err : "syntax error");
    goto done;
  }
  if (!mailbox_dir(&name, dir, sizeof dir) || stat(dir, &sb) < 0) {
    tagged(tag, tl, "NO [NONEXISTENT] no such mailbox");
    goto done;
  }
  if (!folder_status_get(dir, &st)) {
    tagged(tag, tl, "NO [SERVERBUG] cannot read the mailbox");
    goto done;
  }
  out_status(name.s, name.len, dir, &st, items, n);
  tagged(tag, tl, "OK STATUS completed");
done:
  sa_free(&name);
}

static void do_store(const char *tag, size_t tl, imap_parser *p, int uid)
{
  static imap_range ranges[IMAP_SEQSET_MAX];
  imap_seqset set = { ranges, IMAP_SEQSET_MAX, 0, 0 };
  imap_span item;
  unsigned flags = 0;
  int mode, silent, failed = 0, r;
  size_t i, nk;
  kw_name kws[KW_ARGS_MAX];
  uint32_t kwmask = 0, named;
  cs_store cst = CS_STORE_ZERO;
  if (!imap_seqset_parse(p, &set) || !imap_sp(p)) goto bad;
  if (imap_peek(p) == '(' && !cs_store_parse(p, &cst)) goto bad;
  if (!imap_atom(p, &item) || !imap_sp(p)) goto bad;
  if (set.searchres && !searchres_fill(&S->mb, &set, uid, &p->err)) goto bad;
  mode = item.s[0] == '+' ? 1 : item.s[0] == '-' ? -1 : 0;
  if (mode) { item.s++; item.len--; }
  silent = item.len > 7 && imap_is((imap_span){ item.s + item.len - 7, 7 }, ".SILENT");
  if (silent) item.len -= 7;
  if (!imap_is(item, "FLAGS")) { p->err = "STORE wants FLAGS, +FLAGS or -FLAGS"; goto bad; }
  if ((r = parse_flags(p, 0, &flags, kws, &nk)) == 0 || !imap_eol(p)) goto bad;
  if (r < 0) { tagged(tag, tl, "NO [LIMIT] too many keywords"); return; }
  if (S->mb.readonly) { tagged(tag, tl, "NO [READ-ONLY] mailbox is read-only"); return; }
  if (!uid)
    for (i = 0; i < set.n; i++)
      if (set.r[i].lo > S->mb.n || set.r[i].hi > S->mb.n) { p->err = "no such message"; goto bad; }
  keyword_updates();
  if (mode < 0) {
    for (i = 0; i < nk; i++) {
      int b = kw_find(&selkw, kws[i].s, kws[i].len);
      if (b >= 0) kwmask |= (uint32_t)1 << b;
    }
  } else if (nk) {
    /* names are only ever added to the file: more letters named means new keywords */
    uint32_t before = kw_named(&selkw);
    int ok = kw_assign(&selkw, S->mb.dir, kws, nk, unnamed_letters(), &kwmask);
    if (kw_named(&selkw) != before) out_mailbox_flags();
    if (!ok) {
      if (errno == ENOSPC) tagged(tag, tl, "NO [LIMIT] at most %d keywords in a mailbox", KW_MAX);
      else tagged(tag, tl, "NO [SERVERBUG] cannot save the keywords");
      return;
    }
  }
  named = kw_named(&selkw);
  imap_seqset_resolve(&set, uid ? (S->mb.n ? S->mb.m[S->mb.n - 1].uid : 0) : (uint32_t)S->mb.n);
  cs_store_begin(&S->mb, &cst);
  for (i = 0; i < S->mb.n; i++) {
    unsigned nf, old = S->mb.m[i].flags & ~MF_RECENT;
    uint32_t ok = mbox_keywords(&S->mb, i), nkw;
    if (!imap_seqset_has(&set, uid ? S->mb.m[i].uid : (uint32_t)(i + 1))) continue;
    if (!cs_store_allowed(&S->mb, i, &cst, uid ? S->mb.m[i].uid : (uint32_t)(i + 1))) continue;
    nf = mode > 0 ? old | flags : mode < 0 ? old & ~flags : flags;
    /* letters without a name stay as they are */
    nkw = mode > 0 ? ok | kwmask : mode < 0 ? ok & ~kwmask : kwmask | (ok & ~named);
    if (!mbox_set_flags_kw(&S->mb, i, nf, nkw)) { failed = 1; continue; }
    if (!silent || cs_store_reports(&cst)) {
      int with_uid = uid || cs_store_reports(&cst);   /* RFC 7162 3.1: UID and MODSEQ */
      out_printf("* %zu FETCH (", i + 1);
      if (with_uid) out_printf("UID %u", (unsigned)S->mb.m[i].uid);
      if (!silent) { out_puts(with_uid ? " FLAGS " : "FLAGS "); out_flags(&S->mb, i); }
      cs_store_item(&S->mb, i, &cst, nf != old || nkw != ok);
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

/* The letters in folder dir for the keywords names[0..n): adds the names
 * the folder lacks.  The selected mailbox's names are kept current (and a
 * new one is told to the client).  1, or 0 with errno (ENOSPC: too many). */
static int folder_keywords(const char *dir, const kw_name *names, size_t n, uint32_t *mask)
{
  kwmap k = { 0 };
  int ok;
  *mask = 0;
  if (!n) return 1;
  if (S->selected && !strcmp(dir, S->mb.dir)) {
    uint32_t before = kw_named(&selkw);
    ok = kw_assign(&selkw, dir, names, n, unnamed_letters(), mask);
    if (kw_named(&selkw) != before) out_mailbox_flags();
    return ok;
  }
  ok = kw_load(&k, dir) && kw_assign(&k, dir, names, n, 0, mask);
  kw_free(&k);
  return ok;
}

static void do_append(const char *tag, size_t tl, imap_parser *p)
{
  sa name = SA_ZERO;
  char dir[MBOX_PATH_MAX];
  unsigned flags = 0;
  time_t t = 0;
  imap_span data;
  int lit, r = 1;
  uint32_t validity, uid, kw = 0;
  struct stat st;
  kw_name kws[KW_ARGS_MAX];
  size_t nk = 0;
  if (!imap_astring(p, &name) || !imap_sp(p)) goto bad;
  if (imap_peek(p) == '(' && ((r = parse_flags(p, 1, &flags, kws, &nk)) == 0 || !imap_sp(p))) goto bad;
  if (imap_peek(p) == '"' && (!imap_datetime(p, &t) || !imap_sp(p))) goto bad;
  if (!imap_string_raw(p, &data, &lit) || !imap_eol(p)) goto bad;
  if (!lit) { p->err = "the message must be a literal"; goto bad; }
  if (!mailbox_dir(&name, dir, sizeof dir) || stat(dir, &st) < 0) {
    tagged(tag, tl, "NO [TRYCREATE] no such mailbox");
    goto done;
  }
  if (r < 0) { tagged(tag, tl, "NO [LIMIT] too many keywords"); goto done; }
  if (!folder_keywords(dir, kws, nk, &kw)) {
    if (errno == ENOSPC) tagged(tag, tl, "NO [LIMIT] at most %d keywords in a mailbox", KW_MAX);
    else tagged(tag, tl, "NO [SERVERBUG] cannot save the keywords");
    goto done;
  }
  if (!copy_append(dir, data.s, data.len, flags, kw, t, &validity, &uid)) {
    if (errno == ENOSPC || errno == EDQUOT)   /* RFC 5530: what clients show as "mailbox full" */
      tagged(tag, tl, "NO [OVERQUOTA] not enough space for the message");
    else
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

/* The keyword letters in dir for copies of the selected mailbox's messages
 * idx[0..k): each keyword by its name (letters without a name are left
 * behind).  1, or 0 with errno. */
static int copy_keywords(const size_t *idx, size_t k, const char *dir, uint32_t *kw)
{
  kw_name names[KW_MAX];
  uint32_t used = 0, mask, map[KW_MAX] = { 0 };
  size_t i, n = 0;
  int b;
  for (i = 0; i < k; i++) used |= mbox_keywords(&S->mb, idx[i]);
  used &= kw_named(&selkw);
  if (!used) return 1;
  if (!strcmp(dir, S->mb.dir)) {       /* the same folder: the same letters */
    for (i = 0; i < k; i++) kw[i] = mbox_keywords(&S->mb, idx[i]) & used;
    return 1;
  }
  for (b = 0; b < KW_MAX; b++)
    if (used >> b & 1) names[n++] = (kw_name){ selkw.name[b], strlen(selkw.name[b]) };
  if (!folder_keywords(dir, names, n, &mask)) return 0;
  {
    /* the destination's letter of each source letter */
    kwmap d = { 0 };
    if (!kw_load(&d, dir)) return 0;
    for (b = 0; b < KW_MAX; b++) {
      int t = (used >> b & 1) ? kw_find(&d, selkw.name[b], strlen(selkw.name[b])) : -1;
      if (t >= 0) map[b] = (uint32_t)1 << t;
    }
    kw_free(&d);
  }
  for (i = 0; i < k; i++)
    for (b = 0; b < KW_MAX; b++)
      if ((mbox_keywords(&S->mb, idx[i]) & used) >> b & 1) kw[i] |= map[b];
  return 1;
}

/* COPY and MOVE (RFC 6851). */
static void do_copy(const char *tag, size_t tl, imap_parser *p, int uid, int move)
{
  static imap_range ranges[IMAP_SEQSET_MAX];
  imap_seqset set = { ranges, IMAP_SEQSET_MAX, 0, 0 };
  sa name = SA_ZERO, su = SA_ZERO, du = SA_ZERO;
  char dir[MBOX_PATH_MAX];
  size_t *idx = 0, k = 0, i;
  uint32_t validity = 0, *kw = 0;
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
  if (!(kw = calloc(k, sizeof *kw)) || !copy_keywords(idx, k, dir, kw)) {
    if (errno == ENOSPC) tagged(tag, tl, "NO [LIMIT] at most %d keywords in a mailbox", KW_MAX);
    else tagged(tag, tl, "NO [SERVERBUG] cannot save the keywords");
    goto done;
  }
  if (!copy_messages(&S->mb, idx, k, kw, dir, &validity, &su, &du)) {
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
  free(kw);
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
    if (m < 0 && nonsync) return -2;   /* a refused {N+}: its bytes must not be read as commands */
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
      continue;
    }
    bad = 0;   /* 20 in a row: a session of days may meet an unknown command now and then */
  }
}
