/* templates.h: the s6 service directories of conf-templates/service/,
 * compiled into yubin-setup by ctl/gentemplates.sh (ctl/rules.mk), so the
 * installed program needs no source tree.  Paths are relative to the service
 * directory, e.g. "send/run", "send/log/run". */
#ifndef YUBIN_CTL_TEMPLATES_H
#define YUBIN_CTL_TEMPLATES_H
#include <stddef.h>
#include <sys/types.h>

typedef struct ctl_template {
  const char *path;
  const unsigned char *data;
  size_t len;
  mode_t mode;
} ctl_template;

/* Ends with an entry whose path is NULL. */
extern const ctl_template ctl_templates[];

#endif
