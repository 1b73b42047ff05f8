/* mgr.h: the queue manager's state and loop (yubin-send). */
#ifndef YUBIN_SEND_MGR_H
#define YUBIN_SEND_MGR_H

#define MGR_BATCH 50                 /* todo messages taken in per loop turn */
#define MGR_SCAN_MS 60000LL          /* periodic todo scan */
#define MGR_STALE_MS (3600LL * 1000) /* stale mess scan */
#define MGR_STALE_AGE (36LL * 3600)  /* seconds */
#define MGR_TERM_MS 10000LL          /* on SIGTERM: wait this long for running deliveries */
#define MGR_CONC_MAX 1000

/* descriptors given by yubin-start */
#define FD_NOTIFY 3
#define FD_TO_LSPAWN 4
#define FD_FROM_LSPAWN 5
#define FD_TO_RSPAWN 6
#define FD_FROM_RSPAWN 7
#define FD_TO_CLEAN 8
#define FD_FROM_CLEAN 9

/* Runs the queue manager in the current directory (ROOT/queue).  Returns
 * the exit code. */
int mgr_run(void);

#endif
