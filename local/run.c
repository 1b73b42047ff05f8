#include "local.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "dotfile.h"
#include "log.h"

static void log_target(const job *j, const char *type, const char *target, const char *extra, const result *r)
{
  char t[600], text[LOCAL_TEXT_MAX], rc[ADDR_MAX * 2];
  log_info("%s delivery rcpt=<%s> type=%s target=%s%s%s result=%s status=\"%s\"", j->qid,
           log_safe(j->rcpt, rc, sizeof rc), type, log_safe(target, t, sizeof t),
           extra && *extra ? " file=" : "", extra ? extra : "",
           r->code == RES_OK || r->code == RES_STOP ? "ok" : r->code == RES_PERM ? "perm" : "temp",
           log_safe(r->text, text, sizeof text));
}

void run_forward(const job *j, const char *targets, size_t count, result *r)
{
  char list[600];
  size_t i, pos = 0;
  const char *t = targets;
  deliver_forward(j->sender, targets, count, j->dtline, strlen(j->dtline), r);
  /* The log names the targets (up to what fits). */
  list[0] = 0;
  for (i = 0; i < count; i++) {
    int w = snprintf(list + pos, sizeof list - pos, "%s%s", i ? "," : "", t);
    if (w < 0 || (size_t)w >= sizeof list - pos) break;
    pos += (size_t)w;
    t += strlen(t) + 1;
  }
  log_target(j, "forward", list, 0, r);
}

static void program(const job *j, const char *cmd, result *r)
{
  char e_sender[ADDR_MAX + 16], e_rcpt[ADDR_MAX + 16], e_local[ADDR_LOCAL_MAX + 16], e_ext[ADDR_LOCAL_MAX + 16],
       e_host[ADDR_DOMAIN_MAX + 16], e_home[4200], e_user[ADDR_LOCAL_MAX + 16], e_rp[ADDR_MAX + 32],
       e_dt[ADDR_MAX + 32];
  char *env[11];
  size_t k;
  snprintf(e_sender, sizeof e_sender, "SENDER=%s", j->sender);
  snprintf(e_rcpt, sizeof e_rcpt, "RECIPIENT=%s", j->rcpt);
  snprintf(e_local, sizeof e_local, "LOCAL=%s", j->local);
  snprintf(e_ext, sizeof e_ext, "EXT=%s", j->ext);
  snprintf(e_host, sizeof e_host, "HOST=%s", j->host);
  snprintf(e_home, sizeof e_home, "HOME=%s", j->home);
  snprintf(e_user, sizeof e_user, "USER=%s", j->user);
  /* RPLINE and DTLINE as qmail gives them, for filters that re-inject. */
  snprintf(e_rp, sizeof e_rp, "RPLINE=%s", j->rpline);
  snprintf(e_dt, sizeof e_dt, "DTLINE=%s", j->dtline);
  env[0] = e_sender; env[1] = e_rcpt; env[2] = e_local; env[3] = e_ext; env[4] = e_host;
  env[5] = e_home; env[6] = e_user; env[7] = e_rp; env[8] = e_dt;
  env[9] = (char *)"PATH=/usr/bin:/bin";
  env[10] = 0;
  {
    char prefix[2 * ADDR_MAX + 64];
    int n = snprintf(prefix, sizeof prefix, "%s%s", j->rpline, j->dtline);
    k = n > 0 ? (size_t)n : 0;
    deliver_program(cmd, env, prefix, k, j->timeout, r);
  }
}

void run_lines(const job *j, const char *file, const dotfile_line *d, size_t n, result *r)
{
  static char fwd[DOTFILE_DELIVERIES_MAX * (ADDR_MAX + 1)];
  char prefix[2 * ADDR_MAX + 64], arg[DOTFILE_LINE_MAX + 1], done[DOTFILE_LINE_MAX + 1], mdfile[300];
  size_t i, nfwd = 0, fpos = 0, plen, ndone = 0;
  int stop = 0;
  int pl = snprintf(prefix, sizeof prefix, "%s%s", j->rpline, j->dtline);
  plen = pl > 0 ? (size_t)pl : 0;
  done[0] = 0;

  for (i = 0; i < n; i++)
    if (d[i].type == DOT_FORWARD) nfwd++;
  if (nfwd > j->maxforwards) {
    result_set(r, RES_TEMP, "4.3.5 %s has %zu forwards, more than control/maxforwards (%lu)", file, nfwd,
               j->maxforwards);
    log_target(j, "file", file, 0, r);
    return;
  }
  nfwd = 0;
  for (i = 0; i < n && !stop; i++) {
    memcpy(arg, d[i].arg, d[i].len);
    arg[d[i].len] = 0;
    switch (d[i].type) {
    case DOT_MAILDIR:
      deliver_maildir(arg, prefix, plen, r, mdfile, sizeof mdfile);
      log_target(j, "maildir", arg, mdfile, r);
      break;
    case DOT_MBOX:
      deliver_mbox(arg, j->sender, prefix, plen, r);
      log_target(j, "mbox", arg, 0, r);
      break;
    case DOT_PROGRAM:
      program(j, arg, r);
      log_target(j, "program", arg, 0, r);
      if (r->code == RES_STOP) { stop = 1; r->code = RES_OK; }
      break;
    case DOT_FORWARD:
      /* Collected, and injected together once every other line succeeded. */
      memcpy(fwd + fpos, arg, d[i].len + 1);
      fpos += d[i].len + 1;
      nfwd++;
      continue;
    }
    if (r->code != RES_OK) return;
    ndone++;
    snprintf(done, sizeof done, "%s", arg);
  }
  if (nfwd) {
    run_forward(j, fwd, nfwd, r);
    if (r->code != RES_OK) return;
    ndone++;
    snprintf(done, sizeof done, "%zu forward%s", nfwd, nfwd == 1 ? "" : "s");
  }
  if (ndone == 1) result_set(r, RES_OK, "2.0.0 delivered to %s", done);
  else result_set(r, RES_OK, "2.0.0 delivered to %zu targets", ndone);
}
