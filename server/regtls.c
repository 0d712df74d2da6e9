/*
 * regtls — see regtls.h. Certificate generation uses the OpenSSL 3 API: EVP_EC_gen for the
 * key, X509v3 extensions from their text form (the same syntax as `openssl req -addext`).
 */
#include "server/regtls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/auth.h"
#include "common/log.h"
#include "common/net.h"

#define CERT_DAYS 3650
#define SAN_MAX 2048

struct regtls {
    SSL_CTX *ctx;
};

bool regtls_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)(const void *)sa;
        return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return true;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return false;
}

bool regtls_required(const struct sockaddr *local, bool required_everywhere)
{
    return required_everywhere || !regtls_is_loopback(local);
}

/* The first OpenSSL error as text, for a diagnostic. */
static const char *ssl_reason(void)
{
    static __thread char buf[160];
    unsigned long e = ERR_get_error();
    if (e == 0)
        return "unknown error";
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

/* ---- the generated certificate ------------------------------------------------------------ */

/* Appends ",DNS:name" or ",IP:addr" to san unless it is there already. */
static void san_add(char *san, const char *name)
{
    char item[300];
    unsigned char buf[sizeof(struct in6_addr)];
    bool ip = inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
    int n = snprintf(item, sizeof item, "%s:%s", ip ? "IP" : "DNS", name);
    if (n < 0 || (size_t)n >= sizeof item || *name == '\0')
        return;
    /* a whole-item match: ",ITEM," in ",SAN," */
    char hay[SAN_MAX + 2], needle[sizeof item + 2];
    snprintf(hay, sizeof hay, ",%s,", san);
    snprintf(needle, sizeof needle, ",%s,", item);
    size_t len = strlen(san);
    if (strstr(hay, needle) != NULL || len + strlen(item) + 2 >= SAN_MAX)
        return;
    snprintf(san + len, SAN_MAX - len, "%s%s", len ? "," : "", item);
}

/* A host name made of letters, digits, '-' and '.': safe inside the extension's text. */
static bool plain_name(const char *s)
{
    return *s != '\0' && s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789-.")] == '\0';
}

/* subjectAltName: loopback names, the host's name, listen addresses, registry-tls-name. */
static void san_build(const struct srvconf *cfg, char san[SAN_MAX])
{
    san[0] = '\0';
    san_add(san, "localhost");
    san_add(san, "127.0.0.1");
    san_add(san, "::1");
    char host[256];
    if (gethostname(host, sizeof host) == 0 && (host[sizeof host - 1] = '\0', plain_name(host)))
        san_add(san, host);
    for (unsigned i = 0; i < cfg->listen_registry.n; i++) {
        struct sockaddr_storage ss;
        socklen_t len;
        char text[NET_ADDRSTRLEN];
        if (net_parse_endpoint(cfg->listen_registry.v[i], 0, &ss, &len, NULL) != 0)
            continue;
        const void *a = ss.ss_family == AF_INET
                            ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
                            : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
        if (inet_ntop(ss.ss_family, a, text, sizeof text) == NULL || strcmp(text, "0.0.0.0") == 0 ||
            strcmp(text, "::") == 0)
            continue; /* a wildcard names no address */
        san_add(san, text);
    }
    for (unsigned i = 0; i < cfg->registry_tls_name.n; i++)
        san_add(san, cfg->registry_tls_name.v[i]);
}

static bool add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    bool ok = e != NULL && X509_add_ext(x, e, -1) == 1;
    X509_EXTENSION_free(e);
    return ok;
}

/* A self-signed certificate for pk. NULL on failure (OpenSSL's error queue says why). */
static X509 *make_cert(const struct srvconf *cfg, EVP_PKEY *pk)
{
    X509 *x = X509_new();
    BIGNUM *bn = NULL;
    unsigned char serial[16];
    char san[SAN_MAX];
    bool ok = x != NULL && auth_random(serial, sizeof serial) == 0;
    if (ok) {
        serial[0] &= 0x7f; /* positive, RFC 5280 4.1.2.2 */
        serial[0] |= 0x40; /* and of full length */
        bn = BN_bin2bn(serial, sizeof serial, NULL);
        ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL &&
             X509_set_version(x, X509_VERSION_3) == 1 &&
             X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
             X509_time_adj_ex(X509_getm_notAfter(x), CERT_DAYS, 0, NULL) != NULL &&
             X509_set_pubkey(x, pk) == 1;
    }
    X509_NAME *name = ok ? X509_get_subject_name(x) : NULL;
    ok = ok && name != NULL &&
         X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"lana", -1, -1,
                                    0) == 1 &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    (const unsigned char *)"lanad registry", -1, -1, 0) == 1 &&
         X509_set_issuer_name(x, name) == 1;
    if (ok) {
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
        san_build(cfg, san);
        /* keyCertSign lets a client use this very file as its CA file (--tls-ca): a
         * self-signed certificate is its own issuer */
        ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyCertSign") &&
             add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") &&
             add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
             add_ext(x, &ctx, NID_subject_alt_name, san) && X509_sign(x, pk, EVP_sha256()) > 0;
    }
    BN_free(bn);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* Opens path for a new file (never one that exists, never through a symlink). */
static FILE *create_file(const char *path, mode_t mode, struct lana_diag *d)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        diag_set(d, LANA_EIO, "cannot create %s: %s", path, strerror(errno));
        return NULL;
    }
    fchmod(fd, mode); /* whatever the umask */
    FILE *fp = fdopen(fd, "w");
    if (fp == NULL) {
        close(fd);
        diag_set(d, LANA_ENOMEM, "out of memory");
    }
    return fp;
}

/* Writes a new key and certificate; on any failure neither file is left behind. */
static int generate(const struct srvconf *cfg, const char *cert, const char *key,
                    struct lana_diag *d)
{
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = pk ? make_cert(cfg, pk) : NULL;
    FILE *kf = NULL, *cf = NULL;
    int rc = 0;
    if (x == NULL) {
        rc = diag_set(d, LANA_EIO, "cannot make the registry's TLS certificate: %s", ssl_reason());
        goto out;
    }
    if ((kf = create_file(key, 0600, d)) == NULL) {
        rc = LANA_EIO;
        goto out;
    }
    bool ok = PEM_write_PrivateKey(kf, pk, NULL, NULL, 0, NULL, NULL) == 1;
    ok = fflush(kf) == 0 && fsync(fileno(kf)) == 0 && ok;
    if (fclose(kf) != 0 || !ok) {
        kf = NULL;
        rc = diag_set(d, LANA_EIO, "cannot write %s", key);
        unlink(key);
        goto out;
    }
    kf = NULL;
    if ((cf = create_file(cert, 0644, d)) == NULL) {
        unlink(key);
        rc = LANA_EIO;
        goto out;
    }
    ok = PEM_write_X509(cf, x) == 1;
    ok = fflush(cf) == 0 && fsync(fileno(cf)) == 0 && ok;
    if (fclose(cf) != 0 || !ok) {
        rc = diag_set(d, LANA_EIO, "cannot write %s", cert);
        unlink(cert);
        unlink(key);
    }
out:
    X509_free(x);
    EVP_PKEY_free(pk);
    return rc;
}

/* ---- loading ------------------------------------------------------------------------------ */

/* The key must be ours and private (after unwind's check_file_secrecy). */
static int check_key_secrecy(const char *key, struct lana_diag *d)
{
    struct stat sb;
    if (stat(key, &sb) != 0)
        return diag_set(d, LANA_EIO, "TLS key %s: %s", key, strerror(errno));
    if (sb.st_uid != geteuid())
        return diag_set(d, LANA_EIO, "TLS key %s is owned by another user (uid %u); refused", key,
                        (unsigned)sb.st_uid);
    if (sb.st_mode & 077)
        return diag_set(d, LANA_EIO,
                        "TLS key %s may be read by others (mode %03o); chmod 600 it first", key,
                        (unsigned)(sb.st_mode & 0777));
    return 0;
}

/* A context holding the certificate and key; checks that they match. */
static int load_ctx(const char *cert, const char *key, SSL_CTX **out, struct lana_diag *d)
{
    int rc = check_key_secrecy(key, d);
    if (rc != 0)
        return rc;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL)
        return diag_set(d, LANA_ENOMEM, "cannot make a TLS context: %s", ssl_reason());
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
        rc = diag_set(d, LANA_EPARSE, "TLS certificate %s: %s", cert, ssl_reason());
    else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        rc = diag_set(d, LANA_EPARSE, "TLS key %s: %s", key, ssl_reason());
    else if (SSL_CTX_check_private_key(ctx) != 1)
        rc = diag_set(d, LANA_EPARSE, "TLS key %s does not match the certificate %s", key, cert);
    if (rc != 0) {
        SSL_CTX_free(ctx);
        return rc;
    }
    *out = ctx;
    return 0;
}

/* The configured paths, or the default ones beside the database; *defaults tells whether
 * missing files may be made. */
static int tls_paths(const struct srvconf *cfg, char **cert, char **key, bool *defaults,
                     struct lana_diag *d)
{
    *cert = srvconf_beside_db(cfg, cfg->registry_tls_cert, "registry.crt");
    *key = srvconf_beside_db(cfg, cfg->registry_tls_key, "registry.key");
    *defaults = cfg->registry_tls_cert == NULL && cfg->registry_tls_key == NULL;
    if (*cert == NULL || *key == NULL) {
        free(*cert);
        free(*key);
        *cert = *key = NULL;
        return diag_set(d, LANA_ENOMEM, "out of memory");
    }
    return 0;
}

int regtls_prepare(const struct srvconf *cfg, uint8_t fp[REGTLS_FP_LEN], struct lana_diag *d)
{
    char *cert, *key;
    bool defaults;
    int rc = tls_paths(cfg, &cert, &key, &defaults, d);
    if (rc != 0)
        return rc;
    struct stat sb;
    bool have_cert = lstat(cert, &sb) == 0, have_key = lstat(key, &sb) == 0;
    SSL_CTX *ctx = NULL;
    if (defaults && !have_cert && !have_key) {
        if ((rc = generate(cfg, cert, key, d)) != 0)
            goto out;
        log_notice("registry TLS: generated the key %s (mode 0600) and the self-signed "
                   "certificate %s",
                   key, cert);
    } else if (!have_cert || !have_key) {
        rc = diag_set(d, LANA_EIO, "TLS %s %s is missing%s", have_cert ? "key" : "certificate",
                      have_cert ? key : cert,
                      defaults ? " (remove the other file to have both made again)" : "");
        goto out;
    }
    if ((rc = load_ctx(cert, key, &ctx, d)) != 0)
        goto out;
    unsigned len = REGTLS_FP_LEN;
    if (X509_digest(SSL_CTX_get0_certificate(ctx), EVP_sha256(), fp, &len) != 1)
        rc = diag_set(d, LANA_ENOMEM, "cannot hash the certificate: %s", ssl_reason());
out:
    SSL_CTX_free(ctx);
    free(cert);
    free(key);
    return rc;
}

int regtls_new(const struct srvconf *cfg, struct regtls **out, struct lana_diag *d)
{
    char *cert, *key;
    bool defaults;
    int rc = tls_paths(cfg, &cert, &key, &defaults, d);
    if (rc != 0)
        return rc;
    struct regtls *t = calloc(1, sizeof *t);
    if (t == NULL)
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
    else
        rc = load_ctx(cert, key, &t->ctx, d);
    free(cert);
    free(key);
    if (rc != 0) {
        free(t);
        return rc;
    }
    SSL_CTX *c = t->ctx;
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    /* TLS 1.2 only with forward secrecy and AEAD ciphers */
    SSL_CTX_set_cipher_list(c, "ECDHE+AESGCM:ECDHE+CHACHA20");
    SSL_CTX_set_ciphersuites(c, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:"
                                "TLS_AES_256_GCM_SHA384");
    SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
                               SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_read_ahead(c, 1);  /* one recv per batch of records (regio_pending) */
    SSL_CTX_set_num_tickets(c, 0); /* lana does not resume */
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF); /* nor keep sessions */
    /* regconn's output buffer moves (realloc, memmove) between a write that could not
     * finish and its retry; idle connections give their buffers back */
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
    *out = t;
    return 0;
}

void regtls_free(struct regtls *t)
{
    if (t == NULL)
        return;
    SSL_CTX_free(t->ctx);
    free(t);
}

void *regtls_ctx(const struct regtls *t)
{
    return t->ctx;
}
