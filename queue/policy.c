#include "policy.h"

int policy_sender_allowed(uid_t uid, const char *user, const char *sender)
{
  /* No policy yet: every local user may use any sender, as with sendmail. */
  (void)uid;
  (void)user;
  (void)sender;
  return 1;
}
