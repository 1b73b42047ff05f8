/* setup.h: creating or refreshing an instance (yubin-setup, ctl/README.md). */
#ifndef YUBIN_CTL_SETUP_H
#define YUBIN_CTL_SETUP_H
#include <sys/types.h>

#define SETUP_PORT_OFFSET_MAX 60000

typedef struct setup_opts {
  const char *root;           /* absolute path of the instance */
  unsigned long port_offset;
  int standard_ports;
  const char *me;             /* NULL: keep control/me, or the host name */
} setup_opts;

/* Users and groups of an instance: as root the role users, else the caller. */
typedef struct setup_ids {
  int root;
  uid_t q, s, r, d, t, log, v;
  gid_t yubin, gd, gt, glog, gv;
} setup_ids;

/* Root only: creates the groups and users that are missing. 1 or 0 (logged). */
int setup_users(void);
/* Fills ids from the password database (as root) or the caller's ids. */
int setup_ids_load(setup_ids *ids);
/* Checks that root is a directory yubin-setup may use: missing, empty, or an
 * instance.  Returns 1 ok, 0 not an instance (errno ENOTEMPTY), -1 error. */
int setup_check_target(const char *root);
/* Creates or refreshes everything.  Returns 1, or 0 with the failing step logged. */
int setup_instance(const setup_opts *o, const setup_ids *ids);
/* Substitutes @NAME@ placeholders of one template into out (sa). */
struct sa;
int setup_expand(const setup_opts *o, int as_root, const char *in, size_t n, struct sa *out);

#endif
