/* CONDSTORE and QRESYNC (RFC 7162) for one session: the enabled state,
 * the selected folder's mod-sequence table, and the parts of ENABLE,
 * SELECT, STATUS, FETCH, STORE, SEARCH and EXPUNGE that deal with them. */
#include "condstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "imapd.h"
#include "log.h"
#include "modseq.h"

static int cs_on, qr_on;
static modseq ms = MODSEQ_ZERO;            /* the selected folder's table */
static char ms_dir[MBOX_PATH_MAX];          /* the folder it belongs to, "" for none */
static int ms_ok;                           /* ms is in step with the folder */
static uint64_t told;                       /* the HIGHESTMODSEQ the client knows */
static int announce;                        /* HIGHESTMODSEQ to tell before the tagged reply */

/* per command */
static int fetch_changedsince;
static uint64_t changedsince;

int cs_condstore(void) { return cs_on; }
int cs_qresync(void) { return qr_on; }

/* ---- the table --------------------------------------------------------- */

/* What a change of a message's metadata changes: its system flags, and the
 * letters of its file name after ":2," (keywords are letters there too,
 * and so are flags of other programs). */
static uint32_t state_of(const mbox_msg *m)
{
  uint32_t h = 2166136261u;
  const char *e = m->name ? strrchr(m->name, ':') : 0;
  if (e && e[1] == '2' && e[2] == ',')
    for (e += 3; *e; e++) h = (h ^ (unsigned char)*e) * 16777619u;
  return (m->flags & (MF_SEEN | MF_ANSWERED | MF_FLAGGED | MF_DELETED | MF_DRAFT)) | (h << 5);
}

static ms_view *view_of(const mbox *mb)
{
  static ms_view *v;
  static size_t cap;
  size_t i;
  if (mb->n + 1 > cap) {
    ms_view *nv = realloc(v, (mb->n + 1) * sizeof *nv);
    if (!nv) return 0;
    v = nv;
    cap = mb->n + 1;
  }
  for (i = 0; i < mb->n; i++) v[i] = (ms_view){ mb->m[i].uid, state_of(&mb->m[i]) };
  return v;
}

static void sync_with(modseq *t, mbox *mb, int lockfd)
{
  ms_view *v = view_of(mb);
  int ok;
  if (!v) { warn_sys("unable to compare mod-sequences"); return; }
  ok = lockfd >= 0 ? modseq_sync_locked(t, mb->dir, mb->uidvalidity, mb->uidnext, v, mb->n)
                   : modseq_sync(t, mb->dir, mb->uidvalidity, mb->uidnext, v, mb->n);
  if (!ok) warn_sys("unable to keep the mod-sequences of %s", mb->dir);
  if (t->restarted) {
    char safe[256];
    log_info("%ld modseq dir=%s highestmodseq=%llu reason=%s", (long)getpid(),
             log_safe(mb->dir, safe, sizeof safe), (unsigned long long)t->highest, t->restarted);
    t->restarted = 0;
  }
}

/* Brings the selected folder's table in step with the session's view. */
static void sync_mb(mbox *mb, int lockfd)
{
  if (strcmp(ms_dir, mb->dir)) {
    modseq_free(&ms);
    ms = (modseq)MODSEQ_ZERO;
    snprintf(ms_dir, sizeof ms_dir, "%s", mb->dir);
  }
  sync_with(&ms, mb, lockfd);
  ms_ok = 1;
}

static void ensure(mbox *mb)
{
  if (!ms_ok || strcmp(ms_dir, mb->dir)) sync_mb(mb, -1);
}

/* The mod-sequence to show for message i: a message the table lacks (an
 * expunge this session has not reported yet) shows the HIGHESTMODSEQ the
 * session may tell. */
static uint64_t shown(const mbox *mb, size_t i)
{
  uint64_t v = modseq_of(&ms, mb->m[i].uid);
  return v ? v : ms.reportable;
}

static uint64_t modseq_at(mbox *mb, size_t i)
{
  ensure(mb);
  return shown(mb, i);
}

/* CONDSTORE enabled by a command other than ENABLE and SELECT: the client
 * is told HIGHESTMODSEQ before the tagged reply (RFC 7162 3.1). */
static void enable_implicitly(mbox *mb)
{
  if (cs_on) return;
  cs_on = 1;
  if (mb) announce = 1;
}

/* The table stays in memory: selecting the same folder again reads the
 * file only if it changed meanwhile. */
void cs_unselect(void)
{
  ms_ok = 0;
  told = 0;
}

/* HIGHESTMODSEQ as this session may tell it: below any change its view of
 * the folder has not seen yet (another session's expunge of a message this
 * one still shows), so that a client that loses the connection before that
 * change reaches it still asks for it (RFC 7162 3.2). */
static void out_highest(mbox *mb)
{
  sync_mb(mb, -1);
  told = ms.highest;
  out_printf("* OK [HIGHESTMODSEQ %llu] Highest\r\n", (unsigned long long)ms.reportable);
}

/* After MODSEQ values above what the session may tell (its own changes,
 * with another session's expunge not reported yet): the lower HIGHESTMODSEQ,
 * so that the client does not take the MODSEQ values for it (RFC 7162 3.2,
 * the example of section 6). */
static void tell_if_behind(void)
{
  if (ms_ok && ms.reportable < ms.highest)
    out_printf("* OK [HIGHESTMODSEQ %llu] Highest\r\n", (unsigned long long)ms.reportable);
}

/* ---- ENABLE -------------------------------------------------------------- */

int cs_enable_command(imap_parser *p, mbox *mb)
{
  imap_span a;
  int want_cs = 0, want_qr = 0, new_cs, new_qr, was_cs = cs_on;
  if (!imap_sp(p)) return 0;
  for (;;) {   /* the whole list is checked before anything is enabled */
    if (!imap_atom(p, &a)) return 0;
    if (imap_is(a, "CONDSTORE")) want_cs = 1;
    else if (imap_is(a, "QRESYNC")) want_qr = 1;
    if (p->pos == p->n) break;
    if (!imap_sp(p)) return 0;
  }
  new_cs = want_cs && !cs_on;
  new_qr = want_qr && !qr_on;
  if (want_cs || want_qr) cs_on = 1;
  if (want_qr) qr_on = 1;
  out_puts("* ENABLED");
  if (new_cs) out_puts(" CONDSTORE");
  if (new_qr) out_puts(" QRESYNC");
  out_puts("\r\n");
  if (!was_cs && cs_on && mb) out_highest(mb);
  return 1;
}

/* ---- SELECT ------------------------------------------------------------ */

static int parse_uid_set(const char *s, size_t n, imap_seqset *set, uint32_t star)
{
  imap_parser q;
  imap_parser_init(&q, s, n);
  if (!imap_seqset_parse(&q, set) || !imap_eol(&q) || set->searchres) return 0;
  imap_seqset_resolve(set, star);
  return 1;
}

int cs_select_parse(imap_parser *p, cs_select *sel)
{
  imap_span a;
  if (!imap_sp(p) || !imap_char(p, '(')) return 0;
  for (;;) {
    if (!imap_atom(p, &a)) return 0;
    if (imap_is(a, "CONDSTORE")) {
      sel->condstore = 1;
    } else if (imap_is(a, "QRESYNC")) {
      uint32_t v;
      size_t start;
      if (!qr_on) { p->err = "QRESYNC is not enabled"; return 0; }
      if (!imap_sp(p) || !imap_char(p, '(') || !imap_nznumber(p, &v) || !imap_sp(p) ||
          !imap_number64(p, &sel->modseq) || !sel->modseq)
        { if (!p->err) p->err = "bad QRESYNC parameter"; return 0; }
      sel->uidvalidity = v;
      if (imap_peek(p) == ' ') {
        p->pos++;
        if (imap_peek(p) != '(') {
          static imap_range kr[IMAP_SEQSET_MAX];
          imap_seqset ks = { kr, IMAP_SEQSET_MAX, 0, 0 };
          start = p->pos;
          /* known-uids, kept as sent and parsed again once the folder is open */
          while (p->pos < p->n && p->s[p->pos] != ' ' && p->s[p->pos] != ')') p->pos++;
          if (!sa_copyb(&sel->known, p->s + start, p->pos - start) ||
              !parse_uid_set(sel->known.s, sel->known.len, &ks, 1)) {
            p->err = "bad known-uids";
            return 0;
          }
          if (imap_peek(p) == ' ') p->pos++;
        }
        if (imap_peek(p) == '(') {
          /* seq-match-data "(" known-sequence-set SP known-uid-set ")":
           * checked and not needed (the expunge history answers) */
          static imap_range mr[IMAP_SEQSET_MAX];
          imap_seqset ms_set = { mr, IMAP_SEQSET_MAX, 0, 0 };
          p->pos++;
          if (!imap_seqset_parse(p, &ms_set) || !imap_sp(p) || !imap_seqset_parse(p, &ms_set) ||
              !imap_char(p, ')')) {
            p->err = "bad seq-match-data";
            return 0;
          }
        }
      }
      if (!imap_char(p, ')')) return 0;
      sel->qresync = 1;
    } else {
      p->err = "unknown SELECT parameter";
      return 0;
    }
    if (imap_peek(p) == ')') { p->pos++; break; }
    if (!imap_sp(p)) return 0;
  }
  if (sel->qresync) sel->condstore = 1;
  return 1;
}

static void out_vanished_earlier(mbox *mb, uint64_t since, imap_seqset *set)
{
  sa v = SA_ZERO;
  ensure(mb);
  if (!modseq_vanished(&ms, since, set->r, set->n, mb->uidnext, &v)) warn_sys("unable to list vanished UIDs");
  else if (v.len) { out_puts("* VANISHED (EARLIER) "); out_put(v.s, v.len); out_puts("\r\n"); }
  sa_free(&v);
}

static void out_changed(mbox *mb, size_t i)
{
  out_printf("* %zu FETCH (UID %u FLAGS ", i + 1, (unsigned)mb->m[i].uid);
  out_flags(mb, i);
  out_printf(" MODSEQ (%llu))\r\n", (unsigned long long)shown(mb, i));
}

void cs_select_done(mbox *mb, cs_select *sel)
{
  static imap_range r[IMAP_SEQSET_MAX];
  imap_seqset set = { r, IMAP_SEQSET_MAX, 0, 0 };
  size_t i;
  if (sel->condstore) cs_on = 1;
  if (!cs_on) return;
  out_highest(mb);
  if (!sel->qresync || sel->uidvalidity != mb->uidvalidity) return;
  if (!sel->known.len) {
    set.r[0] = (imap_range){ 1, 0xffffffffU };
    set.n = 1;
  } else if (!parse_uid_set(sel->known.s, sel->known.len, &set, mb->uidnext ? mb->uidnext - 1 : 0)) {
    set.r[0] = (imap_range){ 1, 0xffffffffU };   /* too many ranges: all of them */
    set.n = 1;
  }
  out_vanished_earlier(mb, sel->modseq, &set);
  for (i = 0; i < mb->n; i++)
    if (modseq_of(&ms, mb->m[i].uid) > sel->modseq && imap_seqset_has(&set, mb->m[i].uid)) out_changed(mb, i);
}

/* ---- STATUS ------------------------------------------------------------ */

uint64_t cs_highest_of(const char *dir)
{
  mbox mb;
  uint64_t h;
  if (ms_ok && !strcmp(ms_dir, dir)) {
    cs_on = 1;
    return ms.reportable;
  }
  if (!mbox_open(&mb, dir, 1)) return 0;
  {
    modseq t = MODSEQ_ZERO;
    sync_with(&t, &mb, -1);
    h = t.reportable ? t.reportable : 1;
    modseq_free(&t);
  }
  mbox_close(&mb);
  cs_on = 1;
  return h;
}

/* ---- FETCH ------------------------------------------------------------- */

/* The start of the modifier list "(CHANGEDSINCE ...)" at the end of a
 * FETCH command, or 0. */
static size_t modifiers_at(const imap_parser *p)
{
  size_t k, depth = 0;
  if (p->n <= p->pos || p->s[p->n - 1] != ')') return 0;
  for (k = p->n; k-- > p->pos;) {
    if (p->s[k] == ')') depth++;
    else if (p->s[k] == '(' && --depth == 0) break;
  }
  if (k == (size_t)-1 || k <= p->pos || p->s[k - 1] != ' ' || k + 1 >= p->n) return 0;
  if (p->n - k - 1 >= 12 && !strncasecmp(p->s + k + 1, "CHANGEDSINCE", 12)) return k;
  if (p->n - k - 1 >= 8 && !strncasecmp(p->s + k + 1, "VANISHED", 8)) return k;
  return 0;
}

int cs_fetch_prepare(mbox *mb, imap_parser *p, int uid)
{
  static imap_range r[IMAP_SEQSET_MAX];
  imap_seqset set = { r, IMAP_SEQSET_MAX, 0, 0 };
  imap_parser m;
  imap_span a;
  size_t at = modifiers_at(p);
  int vanished = 0;
  fetch_changedsince = 0;
  if (!at) return 1;
  imap_parser_init(&m, p->s, p->n);
  m.pos = at + 1;
  for (;;) {
    if (!imap_atom(&m, &a)) { p->err = m.err; return 0; }
    if (imap_is(a, "CHANGEDSINCE")) {
      if (!imap_sp(&m) || !imap_number64(&m, &changedsince)) { p->err = "bad CHANGEDSINCE"; return 0; }
      fetch_changedsince = 1;
    } else if (imap_is(a, "VANISHED")) {
      vanished = 1;
    } else {
      p->err = "unknown FETCH modifier";
      return 0;
    }
    if (imap_peek(&m) == ')') break;
    if (!imap_sp(&m)) { p->err = m.err; return 0; }
  }
  if (m.pos + 1 != m.n) { p->err = "junk after the FETCH modifiers"; return 0; }
  if (vanished && (!uid || !qr_on || !fetch_changedsince)) {
    fetch_changedsince = 0;
    p->err = "VANISHED needs UID FETCH, QRESYNC enabled and CHANGEDSINCE";
    return 0;
  }
  p->n = at - 1;
  enable_implicitly(mb);
  ensure(mb);
  if (vanished) {
    imap_parser q = *p;
    /* the UIDs asked about; "*" reaches up to UIDNEXT - 1, so that the
     * newest messages, if they went, are reported too */
    if (imap_seqset_parse(&q, &set) && !set.searchres) {
      imap_seqset_resolve(&set, mb->uidnext ? mb->uidnext - 1 : 0);
      out_vanished_earlier(mb, changedsince, &set);
    }
  }
  return 1;
}

int cs_fetch_wanted(mbox *mb, size_t i)
{
  if (!fetch_changedsince) return 1;
  return modseq_at(mb, i) > changedsince;
}

int cs_fetch_adds(int asked, int flags) { return asked || fetch_changedsince || (cs_on && flags); }

/* Decimal digits of v at the end of b[0..32), returning where they start
 * (FETCH 1:* writes this for every message: no printf). */
static char *digits(uint64_t v, char *end)
{
  do { *--end = (char)('0' + v % 10); v /= 10; } while (v);
  return end;
}

void cs_fetch_item(mbox *mb, size_t i, int asked, int flags_sent, int uid_sent, int first)
{
  char b[80], num[24], *d;
  size_t o = 0;
  if (asked) enable_implicitly(mb);
  if (!(asked || fetch_changedsince || (cs_on && flags_sent))) return;
  if (!uid_sent) {
    const char *w = first ? "UID " : " UID ";
    o = strlen(w);
    memcpy(b, w, o);
    d = digits(mb->m[i].uid, num + sizeof num);
    memcpy(b + o, d, (size_t)(num + sizeof num - d));
    o += (size_t)(num + sizeof num - d);
    first = 0;
  }
  {
    const char *w = first ? "MODSEQ (" : " MODSEQ (";
    memcpy(b + o, w, strlen(w));
    o += strlen(w);
  }
  d = digits(modseq_at(mb, i), num + sizeof num);
  memcpy(b + o, d, (size_t)(num + sizeof num - d));
  o += (size_t)(num + sizeof num - d);
  b[o++] = ')';
  out_put(b, o);
}

/* FETCH (UID FLAGS MODSEQ) for the messages whose mod-sequence the client
 * has not been told: changed by other sessions, or \Seen set by a FETCH
 * (whose own response had the mod-sequence from before).  New messages
 * (from UID below_uid on) are left to EXISTS. */
static void report_changes(mbox *mb, uint32_t below_uid)
{
  size_t i;
  if (ms.highest <= told) return;
  for (i = 0; i < mb->n; i++)
    if (modseq_of(&ms, mb->m[i].uid) > told && mb->m[i].uid < below_uid) out_changed(mb, i);   /* 0: not in the table */
  told = ms.highest;
}

void cs_done(mbox *mb)
{
  fetch_changedsince = 0;
  if (!cs_on || !mb) return;
  if (!ms_ok || strcmp(ms_dir, mb->dir)) return;   /* nothing told yet */
  sync_mb(mb, -1);   /* a FETCH may have set \Seen */
  if (announce) out_highest(mb);
  else report_changes(mb, 0xffffffffU);
  announce = 0;
  tell_if_behind();
}

/* ---- STORE ------------------------------------------------------------- */

int cs_store_parse(imap_parser *p, cs_store *st)
{
  imap_span a;
  if (!imap_char(p, '(') || !imap_atom(p, &a)) return 0;
  if (!imap_is(a, "UNCHANGEDSINCE")) { p->err = "unknown STORE modifier"; return 0; }
  if (!imap_sp(p) || !imap_number64(p, &st->unchanged) || !imap_char(p, ')') || !imap_sp(p)) return 0;
  st->has_unchanged = 1;
  return 1;
}

void cs_store_begin(mbox *mb, cs_store *st)
{
  if (st->has_unchanged) enable_implicitly(mb);
  st->active = cs_on;
  if (!st->active) return;
  st->lockfd = modseq_lock(mb->dir);
  if (st->lockfd < 0) warn_sys("unable to lock %s", mb->dir);
  sync_mb(mb, st->lockfd);
  st->next = ms.highest + 1;
}

static void modified_flush(cs_store *st)
{
  char b[32];
  int k;
  if (!st->mlo) return;
  if (st->mlo == st->mhi) k = snprintf(b, sizeof b, "%s%u", st->modified.len ? "," : "", (unsigned)st->mlo);
  else k = snprintf(b, sizeof b, "%s%u:%u", st->modified.len ? "," : "", (unsigned)st->mlo, (unsigned)st->mhi);
  (void)sa_catb(&st->modified, b, (size_t)k);
  st->mlo = st->mhi = 0;
}

int cs_store_allowed(mbox *mb, size_t i, cs_store *st, uint32_t num)
{
  if (!st->has_unchanged || modseq_of(&ms, mb->m[i].uid) <= st->unchanged) return 1;
  if (st->mlo && num == st->mhi + 1) {
    st->mhi = num;
  } else {
    modified_flush(st);
    st->mlo = st->mhi = num;
  }
  return 0;
}

int cs_store_reports(const cs_store *st) { return st->active; }

void cs_store_item(mbox *mb, size_t i, const cs_store *st, int changed)
{
  if (!st->active) return;
  out_printf(" MODSEQ (%llu)", (unsigned long long)(changed ? st->next : shown(mb, i)));
}

int cs_store_end(mbox *mb, cs_store *st, const char *tag, size_t tl, int failed)
{
  int r = 0;
  if (st->active) {
    sync_mb(mb, st->lockfd);
    if (ms.highest > told && ms.highest == st->next) told = ms.highest;
    modseq_unlock(st->lockfd);
    st->lockfd = -1;
    if (announce) out_highest(mb);
    announce = 0;
    tell_if_behind();
  }
  modified_flush(st);
  if (st->modified.len) {
    out_put(tag, tl);
    out_puts(failed ? " NO [MODIFIED " : " OK [MODIFIED ");
    out_put(st->modified.s, st->modified.len);
    out_puts(failed ? "] some flags could not be stored\r\n" : "] conditional STORE failed for some messages\r\n");
    out_flush();
    r = 1;
  }
  sa_free(&st->modified);
  return r;
}

/* ---- expunges and others' changes ---------------------------------------- */

static uint32_t *before;
static size_t nbefore, capbefore;
static uint32_t next_before;
static int have_before;

void cs_change_begin(mbox *mb)
{
  size_t i;
  have_before = 0;
  if (!cs_on) return;
  next_before = mb->uidnext;
  if (!qr_on) return;
  if (mb->n > capbefore) {
    uint32_t *nb = realloc(before, mb->n * sizeof *nb);
    if (!nb) { warn_sys("out of memory"); return; }
    before = nb;
    capbefore = mb->n;
  }
  for (i = 0; i < mb->n; i++) before[i] = mb->m[i].uid;
  nbefore = mb->n;
  have_before = 1;
}

void cs_change_end(mbox *mb, int report)
{
  size_t i, j;
  if (!cs_on) return;
  if (qr_on && have_before && report) {
    /* the UIDs that went, in increasing order, as ranges */
    sa v = SA_ZERO;
    uint32_t lo = 0, hi = 0;
    for (i = 0, j = 0; i < nbefore; i++) {
      while (j < mb->n && mb->m[j].uid < before[i]) j++;
      if (j < mb->n && mb->m[j].uid == before[i]) continue;
      if (lo && before[i] == hi + 1 && hi + 1 != 0) { hi = before[i]; continue; }
      if (lo) {
        char b[32];
        int k = lo == hi ? snprintf(b, sizeof b, "%s%u", v.len ? "," : "", (unsigned)lo)
                         : snprintf(b, sizeof b, "%s%u:%u", v.len ? "," : "", (unsigned)lo, (unsigned)hi);
        (void)sa_catb(&v, b, (size_t)k);
      }
      lo = hi = before[i];
    }
    if (lo) {
      char b[32];
      int k = lo == hi ? snprintf(b, sizeof b, "%s%u", v.len ? "," : "", (unsigned)lo)
                       : snprintf(b, sizeof b, "%s%u:%u", v.len ? "," : "", (unsigned)lo, (unsigned)hi);
      (void)sa_catb(&v, b, (size_t)k);
    }
    if (v.len) {
      out_puts("* VANISHED ");
      out_put(v.s, v.len);
      out_puts("\r\n");
    }
    sa_free(&v);
  }
  have_before = 0;
  if (!ms_ok || strcmp(ms_dir, mb->dir)) return;   /* nothing told yet: nothing to bring up to date */
  sync_mb(mb, -1);
  if (report) report_changes(mb, next_before);
}

const char *cs_highest_code(mbox *mb)
{
  static char b[48];
  if (!cs_on || !ms_ok || strcmp(ms_dir, mb->dir)) return "";
  snprintf(b, sizeof b, "[HIGHESTMODSEQ %llu] ", (unsigned long long)ms.reportable);
  told = ms.highest > told ? ms.highest : told;
  return b;
}

/* ---- SEARCH ------------------------------------------------------------ */

static int search_used;
static uint64_t search_max;

void cs_search_reset(void)
{
  search_used = 0;
  search_max = 0;
}

int cs_search_key(imap_parser *p, mbox *mb, size_t i)
{
  uint64_t v;
  sa name = SA_ZERO;
  if (!imap_sp(p)) return -1;
  if (imap_peek(p) == '"') {
    imap_span type;
    /* entry-name entry-type-req: one mod-sequence per message here, so
     * every entry is the message's */
    if (!imap_string(p, &name) || !imap_sp(p) || !imap_atom(p, &type)) { sa_free(&name); return -1; }
    sa_free(&name);
    if (!imap_is(type, "priv") && !imap_is(type, "shared") && !imap_is(type, "all")) {
      p->err = "bad MODSEQ entry type";
      return -1;
    }
    if (!imap_sp(p)) return -1;
  }
  if (!imap_number64(p, &v)) return -1;
  search_used = 1;
  if (mb->n == 0 || i >= mb->n || !mb->m[i].uid) return 0;   /* the syntax check of an empty folder */
  enable_implicitly(mb);
  return modseq_at(mb, i) >= v;
}

void cs_search_note(mbox *mb, size_t i)
{
  uint64_t v;
  if (!search_used) return;
  v = modseq_at(mb, i);
  if (v > search_max) search_max = v;
}

void cs_search_hits(mbox *mb, const unsigned char *hit)
{
  size_t i;
  if (!search_used) return;
  for (i = 0; i < mb->n; i++)
    if (hit[i]) cs_search_note(mb, i);
}

void cs_esearch_tail(void)
{
  if (search_used && search_max) out_printf(" MODSEQ %llu", (unsigned long long)search_max);
  search_used = 0;
  search_max = 0;
}

void cs_search_tail(void)
{
  if (search_used && search_max) out_printf(" (MODSEQ %llu)", (unsigned long long)search_max);
  search_used = 0;
  search_max = 0;
}
