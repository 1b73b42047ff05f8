/* cmd.h: yubinctl's commands (ctl/README.md).  Each takes the arguments
 * after its noun ("add", "x@y", ...) and returns the exit code; input errors
 * end the program through ctl_fail with exit 100, system errors with 111. */
#ifndef YUBIN_CTL_CMD_H
#define YUBIN_CTL_CMD_H

#include "db.h"

int cmd_domain(const char *root, int argc, char **argv);
int cmd_account(const char *root, int argc, char **argv);
int cmd_alias(const char *root, int argc, char **argv);
int cmd_sender(const char *root, int argc, char **argv);
int cmd_forward(const char *root, int argc, char **argv);
int cmd_rebuild(const char *root, int argc, char **argv);
int cmd_queue(const char *root, int argc, char **argv);

/* Shared by the commands: open (with the lock for changes) or fail. */
void cmd_open(ctl_db *db, const char *root, int lock);
/* Commit or fail. */
void cmd_commit(ctl_db *db);

#endif
