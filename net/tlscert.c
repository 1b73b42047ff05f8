#include "tlscert.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sa.h"

static int read_file(const char *path, sa *out)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return 0;
  out->len = 0;
  out->cap = TLSCERT_FILE_MAX + 2;
  for (;;) {
    ssize_t r;
    if (!sa_ready(out, out->len + 4097)) { close(fd); errno = EFBIG; return 0; }
    r = read(fd, out->s + out->len, 4096);
    if (r < 0) { if (errno == EINTR) continue; close(fd); return 0; }
    if (r == 0) break;
    out->len += (size_t)r;
  }
  close(fd);
  return 1;
}

static void pem_append(void *ctx, const void *data, size_t len)
{
  sa *obj = ctx;
  if (!sa_catb(obj, data, len)) obj->cap = 1; /* marks failure: next check sees len > cap */
}

/* Decodes one PEM file into c.  Returns 1 or 0 with *why. */
static int load_pem(tlscert *c, const sa *file, const char **why)
{
  br_pem_decoder_context pc;
  sa obj = SA_ZERO;
  const unsigned char *p = (const unsigned char *)file->s;
  size_t left = file->len;
  char name[128] = "";
  int have_key = 0, inobj = 0;

  br_pem_decoder_init(&pc);
  obj.cap = TLSCERT_FILE_MAX;
  while (left > 0) {
    size_t used = br_pem_decoder_push(&pc, p, left);
    int ev;
    p += used;
    left -= used;
    ev = br_pem_decoder_event(&pc);
    if (ev == BR_PEM_BEGIN_OBJ) {
      snprintf(name, sizeof name, "%s", br_pem_decoder_name(&pc));
      obj.len = 0;
      br_pem_decoder_setdest(&pc, pem_append, &obj);
      inobj = 1;
    } else if (ev == BR_PEM_END_OBJ) {
      inobj = 0;
      if (obj.cap == 1) { *why = "PEM object too large"; sa_free(&obj); return 0; }
      if (strcmp(name, "CERTIFICATE") == 0) {
        unsigned char *der;
        if (c->chain_len == TLSCERT_CHAIN_MAX) { *why = "too many certificates in chain"; sa_free(&obj); return 0; }
        der = malloc(obj.len ? obj.len : 1);
        if (!der) { *why = "out of memory"; sa_free(&obj); return 0; }
        memcpy(der, obj.s, obj.len);
        c->chain[c->chain_len].data = der;
        c->chain[c->chain_len].data_len = obj.len;
        c->chain_len++;
      } else if (strstr(name, "PRIVATE KEY")) {
        if (have_key) { *why = "more than one private key"; sa_free(&obj); return 0; }
        br_skey_decoder_init(&c->key);
        br_skey_decoder_push(&c->key, obj.s, obj.len);
        if (br_skey_decoder_last_error(&c->key) != 0) { *why = "unreadable private key"; sa_free(&obj); return 0; }
        c->key_type = br_skey_decoder_key_type(&c->key);
        have_key = 1;
      }
      explicit_bzero(obj.s, obj.a);
    } else if (ev == BR_PEM_ERROR) {
      *why = "malformed PEM";
      sa_free(&obj);
      return 0;
    }
  }
  if (obj.s) explicit_bzero(obj.s, obj.a);
  sa_free(&obj);
  if (inobj) { *why = "truncated PEM"; return 0; }
  if (!c->chain_len) { *why = "no certificate"; return 0; }
  if (!have_key) { *why = "no private key"; return 0; }
  if (c->key_type != BR_KEYTYPE_RSA && c->key_type != BR_KEYTYPE_EC) { *why = "unsupported key type"; return 0; }
  {
    br_x509_decoder_context xd;
    br_x509_decoder_init(&xd, 0, 0);
    br_x509_decoder_push(&xd, c->chain[0].data, c->chain[0].data_len);
    if (br_x509_decoder_last_error(&xd) != 0 || !br_x509_decoder_get_pkey(&xd)) { *why = "undecodable certificate"; return 0; }
    if ((int)br_x509_decoder_get_pkey(&xd)->key_type != c->key_type) { *why = "key does not match certificate"; return 0; }
    c->issuer_key_type = br_x509_decoder_get_signer_key_type(&xd);
  }
  /* The scratch context builds the single-chain policy we delegate to. */
  if (c->key_type == BR_KEYTYPE_RSA) {
    br_ssl_server_init_full_rsa(&c->scratch, c->chain, c->chain_len, br_skey_decoder_get_rsa(&c->key));
  } else {
    br_ssl_server_init_full_ec(&c->scratch, c->chain, c->chain_len,
                               (unsigned)c->issuer_key_type, br_skey_decoder_get_ec(&c->key));
  }
  return 1;
}

int tlscert_pick(const tlscert_set *set, const char *sni)
{
  size_t i;
  int dflt = 0;
  const char *dot;
  for (i = 0; i < set->count; i++) if (!set->certs[i]->name[0]) dflt = (int)i;
  if (!sni || !*sni) return dflt;
  for (i = 0; i < set->count; i++)
    if (set->certs[i]->name[0] && strcasecmp(set->certs[i]->name, sni) == 0) return (int)i;
  dot = strchr(sni, '.');
  if (dot) {
    for (i = 0; i < set->count; i++) {
      const char *n = set->certs[i]->name;
      if (n[0] == '_' && n[1] == '.' && strcasecmp(n + 1, dot) == 0) return (int)i;
    }
  }
  return dflt;
}

static const br_ssl_server_policy_class **inner(const br_ssl_server_policy_class **pctx)
{
  tlscert_set *set = (tlscert_set *)(void *)pctx;
  tlscert *c = set->certs[set->chosen];
  return &c->scratch.chain_handler.vtable;
}

static int sni_choose(const br_ssl_server_policy_class **pctx, const br_ssl_server_context *cc,
                      br_ssl_server_choices *choices)
{
  tlscert_set *set = (tlscert_set *)(void *)pctx;
  const br_ssl_server_policy_class **in;
  set->chosen = tlscert_pick(set, br_ssl_engine_get_server_name(&cc->eng));
  in = inner(pctx);
  return (*in)->choose(in, cc, choices);
}

static uint32_t sni_keyx(const br_ssl_server_policy_class **pctx, unsigned char *data, size_t *len)
{
  const br_ssl_server_policy_class **in = inner(pctx);
  return (*in)->do_keyx(in, data, len);
}

static size_t sni_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id, unsigned char *data,
                       size_t hv_len, size_t len)
{
  const br_ssl_server_policy_class **in = inner(pctx);
  return (*in)->do_sign(in, algo_id, data, hv_len, len);
}

static const br_ssl_server_policy_class sni_vtable = {
  sizeof(tlscert_set), sni_choose, sni_keyx, sni_sign
};

int tlscert_load_dir(tlscert_set *set, const char *dir, const char **why, char *whybuf, size_t whylen)
{
  DIR *d = opendir(dir);
  struct dirent *de;
  sa file = SA_ZERO;
  int have_default = 0;
  memset(set, 0, sizeof *set);
  set->vtable = &sni_vtable;
  if (!d) { snprintf(whybuf, whylen, "unable to open %s: %s", dir, strerror(errno)); *why = whybuf; return 0; }
  while ((de = readdir(d)) != 0) {
    size_t n = strlen(de->d_name);
    char path[1024];
    tlscert *c;
    const char *w = 0;
    if (n < 5 || strcmp(de->d_name + n - 4, ".pem") != 0 || de->d_name[0] == '.') continue;
    if (n - 4 >= sizeof c->name) continue;
    if (set->count == TLSCERT_MAX) break;
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    if (!read_file(path, &file)) {
      snprintf(whybuf, whylen, "unable to read %s: %s", path, strerror(errno));
      *why = whybuf;
      continue;
    }
    c = calloc(1, sizeof *c);
    if (!c) { closedir(d); *why = "out of memory"; return 0; }
    if (!load_pem(c, &file, &w)) {
      snprintf(whybuf, whylen, "%s: %s", path, w);
      *why = whybuf;
      free(c);
      continue;
    }
    if (strcmp(de->d_name, "default.pem") == 0) { c->name[0] = 0; have_default = 1; }
    else { memcpy(c->name, de->d_name, n - 4); c->name[n - 4] = 0; }
    set->certs[set->count++] = c;
  }
  closedir(d);
  if (file.s) explicit_bzero(file.s, file.a);
  sa_free(&file);
  if (!have_default) {
    if (set->count == 0) {
      if (!*why) *why = "no certificate in control/tls";
      return 0;
    }
  }
  return 1;
}

void tlscert_install(tlscert_set *set, br_ssl_server_context *cc)
{
  br_ssl_server_set_policy(cc, &set->vtable);
}
