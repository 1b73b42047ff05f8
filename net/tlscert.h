/* tlscert.h: certificates and keys for yubin-tlsd, and the choice among them
 * by SNI.  Loaded as root before any network input is read; afterwards only
 * read.  Layout (control/tls/):
 *   default.pem          the certificate for clients that send no SNI or an
 *                        unknown name: the chain (leaf first), then the key
 *   HOST.pem             the certificate for SNI name HOST (e.g.
 *                        mail.example.com.pem), same layout
 *   _.example.com.pem    the certificate for every *.example.com name
 * Keys: RSA (2048 bits and more) or EC (P-256, P-384, P-521), PKCS#1, SEC1 or
 * PKCS#8 PEM. */
#ifndef YUBIN_TLSCERT_H
#define YUBIN_TLSCERT_H
#include <bearssl.h>
#include <stddef.h>

#define TLSCERT_MAX 64          /* certificate files per instance */
#define TLSCERT_CHAIN_MAX 8     /* certificates per chain */
#define TLSCERT_FILE_MAX (256 * 1024)

typedef struct tlscert {
  char name[256];                          /* SNI name, "" for the default, "_.dom" for *.dom */
  br_x509_certificate chain[TLSCERT_CHAIN_MAX];
  size_t chain_len;
  br_skey_decoder_context key;             /* owns the decoded key */
  int key_type;                            /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
  int issuer_key_type;                     /* for EC: how the leaf was signed */
  br_ssl_server_context scratch;           /* holds the single-chain policy */
} tlscert;

typedef struct tlscert_set {
  const br_ssl_server_policy_class *vtable; /* our SNI policy; must be first */
  tlscert *certs[TLSCERT_MAX];
  size_t count;
  int chosen;                               /* index chosen for this connection */
} tlscert_set;

/* Loads every *.pem in dir.  Returns 1, or 0 with a reason in why (static or
 * from errno) when no usable default certificate could be loaded. */
int tlscert_load_dir(tlscert_set *set, const char *dir, const char **why, char *whybuf, size_t whylen);
/* Sets up cc (already br_ssl_server_init_full_ec'd by the caller) to use the
 * set as its policy. */
void tlscert_install(tlscert_set *set, br_ssl_server_context *cc);
/* Index into set->certs for an SNI name (exact, then wildcard, then default). */
int tlscert_pick(const tlscert_set *set, const char *sni);

#endif
